"""The reference IoT job in Apache Flink with Flink SQL through PyFlink: a Kafka table with
a watermark 2 minutes behind the event time, checks and quality flags in SQL, raw rows
to a Parquet filesystem sink partitioned by hour, 1-minute TUMBLE windows per device to a
second one — one job (a statement set) on one read of the topic.

    python flink_job.py BOOTSTRAP TOPIC OUT_DIR

Streaming mode with a bounded Kafka scan ('scan.bounded.mode' = 'latest-offset'): the
job ends when it has read what the topic held at its start; the end of the input
advances the watermark to the end of time, so every window fires, and the final
checkpoint commits the last files. Parallelism 2 (the cores). The Kafka and Parquet
connectors come from Maven Central (FLINK_JARS)."""
import os
import sys

from pyflink.table import EnvironmentSettings, TableEnvironment

bootstrap, topic, out = sys.argv[1:4]

env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
config = env.get_config()
config.set("pipeline.jars", ";".join(f"file://{jar}" for jar in os.environ["FLINK_JARS"].split(":")))
config.set("parallelism.default", "2")
config.set("table.local-time-zone", "UTC")
# The filesystem sink makes files visible at checkpoints (and at the end of the input).
config.set("execution.checkpointing.interval", "10 s")

env.execute_sql(f"""
CREATE TABLE events (
  device_id STRING,
  device_type STRING,
  location STRING,
  `timestamp` TIMESTAMP_LTZ(3),
  `value` DOUBLE,
  unit STRING,
  battery_level INT,
  signal_strength INT,
  event_duration DOUBLE,
  metadata STRING,
  WATERMARK FOR `timestamp` AS `timestamp` - INTERVAL '2' MINUTE
) WITH (
  'connector' = 'kafka',
  'topic' = '{topic}',
  'properties.bootstrap.servers' = '{bootstrap}',
  'properties.group.id' = 'flink-{topic}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'json',
  'json.timestamp-format.standard' = 'ISO-8601',
  'json.ignore-parse-errors' = 'true'
)""")

# Required fields and range checks (when present), then the quality flags.
env.execute_sql("""
CREATE TEMPORARY VIEW valid AS
SELECT *, battery_level >= 20 AS is_valid_battery, signal_strength >= -90 AS is_valid_signal
FROM events
WHERE device_id IS NOT NULL AND device_id <> '' AND `timestamp` IS NOT NULL AND `value` IS NOT NULL
  AND (battery_level IS NULL OR battery_level BETWEEN 0 AND 100)
  AND (signal_strength IS NULL OR signal_strength BETWEEN -150 AND 0)""")

HOUR_PARTITIONS = """`year` STRING, `month` STRING, `day` STRING, `hour` STRING"""
env.execute_sql(f"""
CREATE TABLE raw_sink (
  device_id STRING, device_type STRING, location STRING, `timestamp` TIMESTAMP_LTZ(3), `value` DOUBLE,
  unit STRING, battery_level INT, signal_strength INT, event_duration DOUBLE, metadata STRING,
  is_valid_battery BOOLEAN, is_valid_signal BOOLEAN, processing_timestamp TIMESTAMP_LTZ(3), {HOUR_PARTITIONS}
) PARTITIONED BY (`year`, `month`, `day`, `hour`) WITH (
  'connector' = 'filesystem', 'path' = 'file://{out}/raw', 'format' = 'parquet'
)""")
env.execute_sql(f"""
CREATE TABLE aggregated_sink (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), device_id STRING, device_type STRING, location STRING,
  unit STRING, avg_value DOUBLE, event_count BIGINT, min_value DOUBLE, max_value DOUBLE, stddev_value DOUBLE,
  avg_event_duration DOUBLE, avg_battery_level DOUBLE, avg_signal_strength DOUBLE, low_battery_count BIGINT,
  weak_signal_count BIGINT, {HOUR_PARTITIONS}
) PARTITIONED BY (`year`, `month`, `day`, `hour`) WITH (
  'connector' = 'filesystem', 'path' = 'file://{out}/aggregated', 'format' = 'parquet'
)""")


def hour_of(column):
    return ", ".join(f"DATE_FORMAT({column}, '{f}')" for f in ("yyyy", "MM", "dd", "HH"))


statements = env.create_statement_set()
statements.add_insert_sql(f"""
INSERT INTO raw_sink
SELECT device_id, device_type, location, `timestamp`, `value`, unit, battery_level, signal_strength,
       event_duration, metadata, is_valid_battery, is_valid_signal, CURRENT_TIMESTAMP, {hour_of('`timestamp`')}
FROM valid""")
statements.add_insert_sql(f"""
INSERT INTO aggregated_sink
SELECT window_start, window_end, device_id, device_type, location, unit,
       AVG(`value`), COUNT(*), MIN(`value`), MAX(`value`), STDDEV_SAMP(`value`), AVG(event_duration),
       AVG(CAST(battery_level AS DOUBLE)), AVG(CAST(signal_strength AS DOUBLE)),
       COUNT(CASE WHEN NOT is_valid_battery THEN 1 END), COUNT(CASE WHEN NOT is_valid_signal THEN 1 END),
       {hour_of('window_start')}
FROM TABLE(TUMBLE(TABLE valid, DESCRIPTOR(`timestamp`), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, device_id, device_type, location, unit""")
statements.execute().wait()
