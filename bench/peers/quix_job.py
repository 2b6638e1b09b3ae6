"""The reference IoT job in Quix Streams: a StreamingDataFrame over the topic (keyed by
device), pydantic validation in the deserializer, event time from the payload, quality
flags, raw rows to a Parquet sink partitioned by hour, and a 1-minute tumbling window per
key with a 2-minute grace period whose final results go to a second Parquet sink.

    python quix_job.py BOOTSTRAP TOPIC OUT_DIR

Quix has no Parquet sink partitioned by time, so both sinks are small BatchingSink
subclasses (its API for custom destinations) writing with pyarrow. The application stops
once no message came for IDLE_TIMEOUT seconds (Application.run(timeout=...)); the
harness takes that idle time off the wall time. Windows still open at the end are not
emitted (Quix, like Spark, closes a window only when later data moves its stream time)."""
import datetime as dt
import json
import os
import sys
import uuid

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError
from quixstreams import Application
from quixstreams.dataframe.windows import aggregations as agg
from quixstreams.models.serializers import Deserializer
from quixstreams.sinks import BatchingSink, SinkBatch

from iot_event import IoTEvent

bootstrap, topic_name, out = sys.argv[1:4]
IDLE_TIMEOUT = float(os.environ.get("QUIX_IDLE_TIMEOUT", "3"))


class ValidatingDeserializer(Deserializer):
    """JSON into a validated event dict; None for anything invalid (filtered out)."""

    def __call__(self, value: bytes, ctx):
        try:
            event = IoTEvent.model_validate_json(value).model_dump()
        except (ValidationError, UnicodeDecodeError, ValueError):
            return None
        event["metadata"] = None if event["metadata"] is None else json.dumps(event["metadata"])
        return event


def event_time(value, headers, timestamp, timestamp_type):
    return int(value["timestamp"].timestamp() * 1000) if value else timestamp


class StdDev(agg.Aggregator):
    """Sample standard deviation (Welford); None for fewer than two values."""

    def initialize(self):
        return 0, 0.0, 0.0

    def agg(self, old, new, timestamp):
        x = new.get(self.column)
        if x is None:
            return old
        n, mean, m2 = old
        n += 1
        delta = x - mean
        mean += delta / n
        return n, mean, m2 + delta * (x - mean)

    def result(self, value):
        n, _, m2 = value
        return (m2 / (n - 1)) ** 0.5 if n > 1 else None


class CountFalse(agg.Aggregator):
    """How many values of the column are False (None is not), like count_if(NOT flag)."""

    def initialize(self):
        return 0

    def agg(self, old, new, timestamp):
        return old + (new.get(self.column) is False)

    def result(self, value):
        return value


class HourPartitionedParquet(BatchingSink):
    """Each committed batch as Parquet files under OUT/<directory>/year=/month=/day=/hour=."""

    def __init__(self, directory, time_column):
        super().__init__()
        self.directory, self.time_column = directory, time_column

    def write(self, batch: SinkBatch):
        df = pd.DataFrame([item.value for item in batch])
        if df.empty:
            return
        ts = pd.to_datetime(df[self.time_column], utc=True)
        df[self.time_column] = ts
        df["year"], df["month"] = ts.dt.strftime("%Y"), ts.dt.strftime("%m")
        df["day"], df["hour"] = ts.dt.strftime("%d"), ts.dt.strftime("%H")
        pq.write_to_dataset(pa.Table.from_pandas(df, preserve_index=False), root_path=f"{out}/{self.directory}",
                            partition_cols=["year", "month", "day", "hour"],
                            basename_template=f"part-{uuid.uuid4().hex[:8]}-{{i}}.parquet")


def flags(event):
    battery, signal = event["battery_level"], event["signal_strength"]
    return dict(event, is_valid_battery=None if battery is None else battery >= 20,
                is_valid_signal=None if signal is None else signal >= -90,
                processing_timestamp=dt.datetime.now(dt.timezone.utc))


def window_row(window):
    start = dt.datetime.fromtimestamp(window["start"] / 1000, dt.timezone.utc)
    return {"window_start": start, "window_end": start + dt.timedelta(minutes=1),
            **{k: v for k, v in window.items() if k not in ("start", "end")}}


app = Application(broker_address=bootstrap, consumer_group=f"quix-{uuid.uuid4().hex[:8]}",
                  auto_offset_reset="earliest", state_dir=f"{out}/_state", commit_interval=5.0)
topic = app.topic(topic_name, value_deserializer=ValidatingDeserializer(), timestamp_extractor=event_time)
events = app.dataframe(topic).filter(lambda event: event is not None).apply(flags)
events.sink(HourPartitionedParquet("raw", "timestamp"))
windows = (events.tumbling_window(dt.timedelta(minutes=1), grace_ms=dt.timedelta(minutes=2))
           .agg(device_id=agg.Latest("device_id"), device_type=agg.Latest("device_type"),
                location=agg.Latest("location"), unit=agg.Latest("unit"),
                avg_value=agg.Mean("value"), event_count=agg.Count(), min_value=agg.Min("value"),
                max_value=agg.Max("value"), stddev_value=StdDev("value"),
                avg_event_duration=agg.Mean("event_duration"), avg_battery_level=agg.Mean("battery_level"),
                avg_signal_strength=agg.Mean("signal_strength"),
                low_battery_count=CountFalse("is_valid_battery"), weak_signal_count=CountFalse("is_valid_signal"))
           .final()
           .apply(window_row))
windows.sink(HourPartitionedParquet("aggregated", "window_start"))
app.run(timeout=IDLE_TIMEOUT)
