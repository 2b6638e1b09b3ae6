"""The batch form of the reference IoT job in DuckDB, from the NDJSON file: read_json with
the schema, checks and quality flags in SQL, raw rows and 1-minute windows per device
written with COPY … (FORMAT parquet, PARTITION_BY …). The bar a one-shot file job has
to clear; as a batch job it has no late data (every event counts in its window).

    python duckdb_job.py EVENTS.ndjson OUT_DIR

DuckDB uses every core."""
import os
import sys

import duckdb

events, out = sys.argv[1:3]
os.makedirs(out, exist_ok=True)
con = duckdb.connect()
con.sql("SET TimeZone = 'UTC'")
con.sql(f"""
CREATE TEMP VIEW valid AS
SELECT *, battery_level >= 20 AS is_valid_battery, signal_strength >= -90 AS is_valid_signal
FROM read_json('{events}', format = 'newline_delimited', ignore_errors = true,
               columns = {{device_id: 'VARCHAR', device_type: 'VARCHAR', location: 'VARCHAR',
                          "timestamp": 'TIMESTAMPTZ', value: 'DOUBLE', unit: 'VARCHAR', battery_level: 'INTEGER',
                          signal_strength: 'INTEGER', event_duration: 'DOUBLE', metadata: 'JSON'}})
WHERE device_id IS NOT NULL AND device_id <> '' AND "timestamp" IS NOT NULL AND value IS NOT NULL
  AND (battery_level IS NULL OR battery_level BETWEEN 0 AND 100)
  AND (signal_strength IS NULL OR signal_strength BETWEEN -150 AND 0)""")


def by_hour(column):
    return ", ".join(f"strftime({column}, '%{f}') AS {name}"
                     for f, name in (("Y", "year"), ("m", "month"), ("d", "day"), ("H", "hour")))


con.sql(f"""
COPY (SELECT *, now() AS processing_timestamp, {by_hour('"timestamp"')} FROM valid)
TO '{out}/raw' (FORMAT parquet, PARTITION_BY (year, month, day, hour))""")
con.sql(f"""
COPY (
  SELECT window_start, window_start + INTERVAL 1 MINUTE AS window_end, device_id, device_type, location, unit,
         avg(value) AS avg_value, count(*) AS event_count, min(value) AS min_value, max(value) AS max_value,
         stddev_samp(value) AS stddev_value, avg(event_duration) AS avg_event_duration,
         avg(battery_level) AS avg_battery_level, avg(signal_strength) AS avg_signal_strength,
         count_if(NOT is_valid_battery) AS low_battery_count, count_if(NOT is_valid_signal) AS weak_signal_count,
         {by_hour('window_start')}
  FROM (SELECT *, time_bucket(INTERVAL 1 MINUTE, "timestamp") AS window_start FROM valid)
  GROUP BY ALL)
TO '{out}/aggregated' (FORMAT parquet, PARTITION_BY (year, month, day, hour))""")
