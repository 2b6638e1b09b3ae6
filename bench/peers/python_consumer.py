"""The reference IoT job as seed 000 builds it by hand: a kafka-python consumer, pydantic
validation, quality flags, a time-window manager with a 2-minute watermark, pandas
aggregations and pyarrow Parquet files partitioned by hour.

    python python_consumer.py BOOTSTRAP TOPIC OUT_DIR

Batches of AGGREGATOR_BATCH_SIZE (10000, the value sluice runs with; the seed's default
of 100 would write a file per 100 events). Stops once it has read up to the end offsets
the topic had at the start, then flushes every window (as sluice --drain does)."""
import datetime as dt
import os
import sys
import time
import uuid
from collections import defaultdict

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError

from iot_event import IoTEvent

bootstrap, topic, out = sys.argv[1:4]
BATCH_SIZE = int(os.environ.get("AGGREGATOR_BATCH_SIZE", "10000"))
WINDOW = dt.timedelta(minutes=1)
WATERMARK = dt.timedelta(minutes=2)


class TimeWindowManager:
    """1-minute tumbling windows per device; a window completes once the watermark (the
    largest event time seen minus 2 minutes) passes its end; later events for it are late."""

    def __init__(self):
        self.windows = defaultdict(list)  # (window_start, device_id, type, location, unit) -> events
        self.max_event_time = None
        self.late = 0

    def add(self, event):
        start = event["timestamp"].replace(second=0, microsecond=0)
        if self.max_event_time is not None and start + WINDOW <= self.max_event_time - WATERMARK:
            self.late += 1
            return
        key = (start, event["device_id"], event["device_type"], event["location"], event["unit"])
        self.windows[key].append(event)
        if self.max_event_time is None or event["timestamp"] > self.max_event_time:
            self.max_event_time = event["timestamp"]

    def completed(self, flush_all=False):
        watermark = self.max_event_time - WATERMARK if self.max_event_time else None
        done = [key for key in self.windows if flush_all or key[0] + WINDOW <= watermark]
        return [(key, self.windows.pop(key)) for key in done]


def aggregate(completed):
    rows = []
    for (start, device_id, device_type, location, unit), events in completed:
        df = pd.DataFrame(events)
        rows.append({
            "window_start": start, "window_end": start + WINDOW, "device_id": device_id,
            "device_type": device_type, "location": location, "unit": unit,
            "avg_value": df["value"].mean(), "event_count": len(df), "min_value": df["value"].min(),
            "max_value": df["value"].max(), "stddev_value": df["value"].std(ddof=1),
            "avg_event_duration": df["event_duration"].mean(), "avg_battery_level": df["battery_level"].mean(),
            "avg_signal_strength": df["signal_strength"].mean(),
            "low_battery_count": int((df["is_valid_battery"] == False).sum()),  # noqa: E712 (nullable)
            "weak_signal_count": int((df["is_valid_signal"] == False).sum()),  # noqa: E712
        })
    return pd.DataFrame(rows)


def write(df, directory, time_column):
    if df.empty:
        return
    df = df.copy()
    ts = pd.to_datetime(df[time_column], utc=True)
    df["year"], df["month"] = ts.dt.strftime("%Y"), ts.dt.strftime("%m")
    df["day"], df["hour"] = ts.dt.strftime("%d"), ts.dt.strftime("%H")
    pq.write_to_dataset(pa.Table.from_pandas(df, preserve_index=False), root_path=f"{out}/{directory}",
                        partition_cols=["year", "month", "day", "hour"],
                        basename_template=f"part-{uuid.uuid4().hex[:8]}-{{i}}.parquet")


def main():
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=f"python-{uuid.uuid4().hex[:8]}",
                             auto_offset_reset="earliest", enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    windows = TimeWindowManager()
    valid = invalid = 0
    batch = []

    def flush(final=False):
        nonlocal batch
        if batch:
            write(pd.DataFrame(batch).assign(processing_timestamp=dt.datetime.now(dt.timezone.utc)), "raw",
                  "timestamp")
            batch = []
        write(aggregate(windows.completed(flush_all=final)), "aggregated", "window_start")
        consumer.commit()

    while any(consumer.position(tp) < ends[tp] for tp in partitions):
        for records in consumer.poll(timeout_ms=1000, max_records=BATCH_SIZE).values():
            for record in records:
                try:
                    event = IoTEvent.model_validate_json(record.value).model_dump()
                except (ValidationError, UnicodeDecodeError, ValueError):
                    invalid += 1
                    continue
                valid += 1
                event["metadata"] = None if event["metadata"] is None else str(event["metadata"])
                event["is_valid_battery"] = None if event["battery_level"] is None else event["battery_level"] >= 20
                event["is_valid_signal"] = None if event["signal_strength"] is None else event["signal_strength"] >= -90
                batch.append(event)
                windows.add(event)
        if len(batch) >= BATCH_SIZE:
            flush()
    flush(final=True)
    consumer.close()
    print(f"valid {valid}, invalid {invalid}, late {windows.late}", file=sys.stderr)


if __name__ == "__main__":
    start = time.monotonic()
    main()
    print(f"done in {time.monotonic() - start:.1f} s", file=sys.stderr)
