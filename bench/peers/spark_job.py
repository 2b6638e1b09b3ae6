"""The reference IoT job in Spark Structured Streaming, as seeds 001 and 002 write it:
Kafka source, from_json with a schema, checks and quality flags, raw rows to Parquet
partitioned by hour, 1-minute tumbling windows per device with a 2-minute watermark,
aggregates to Parquet; trigger(availableNow=True) drains the topic and stops.

    python spark_job.py BOOTSTRAP TOPIC OUT_DIR

Local mode on every core (local[2] here). The Kafka connector comes from Maven Central
(spark.jars.packages, cached in SPARK_IVY_DIR)."""
import os
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (DoubleType, IntegerType, StringType, StructField, StructType,
                               TimestampType)

bootstrap, topic, out = sys.argv[1:4]

spark = (SparkSession.builder.master("local[2]").appName("iot-aggregator")
         .config("spark.jars.packages", f"org.apache.spark:spark-sql-kafka-0-10_2.13:{os.environ['SPARK_VERSION']}")
         .config("spark.jars.ivy", os.environ["SPARK_IVY_DIR"])
         # Spark's default of 200 shuffle partitions is for clusters; 2 cores want a few.
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.driver.memory", "2g")
         .getOrCreate())
spark.sparkContext.setLogLevel("WARN")

schema = StructType([
    StructField("device_id", StringType()),
    StructField("device_type", StringType()),
    StructField("location", StringType()),
    StructField("timestamp", TimestampType()),
    StructField("value", DoubleType()),
    StructField("unit", StringType()),
    StructField("battery_level", IntegerType()),
    StructField("signal_strength", IntegerType()),
    StructField("event_duration", DoubleType()),
    StructField("metadata", StringType()),
])

events = (spark.readStream.format("kafka")
          .option("kafka.bootstrap.servers", bootstrap)
          .option("subscribe", topic)
          .option("startingOffsets", "earliest")
          .load()
          .select(F.from_json(F.col("value").cast("string"), schema).alias("e"))
          .select("e.*")
          # Required fields and range checks (when present), as the reference job.
          .where(F.col("device_id").isNotNull() & (F.col("device_id") != "") & F.col("timestamp").isNotNull()
                 & F.col("value").isNotNull())
          .where(F.col("battery_level").isNull() | F.col("battery_level").between(0, 100))
          .where(F.col("signal_strength").isNull() | F.col("signal_strength").between(-150, 0))
          .withColumn("is_valid_battery", F.col("battery_level") >= 20)
          .withColumn("is_valid_signal", F.col("signal_strength") >= -90))


def by_hour(df, column):
    return (df.withColumn("year", F.date_format(column, "yyyy")).withColumn("month", F.date_format(column, "MM"))
            .withColumn("day", F.date_format(column, "dd")).withColumn("hour", F.date_format(column, "HH")))


raw = (by_hour(events.withColumn("processing_timestamp", F.current_timestamp()), "timestamp")
       .writeStream.format("parquet")
       .option("path", f"{out}/raw")
       .option("checkpointLocation", f"{out}/_checkpoints/raw")
       .partitionBy("year", "month", "day", "hour")
       .trigger(availableNow=True)
       .start())

aggregated = (events.withWatermark("timestamp", "2 minutes")
              .groupBy(F.window("timestamp", "1 minute"), "device_id", "device_type", "location", "unit")
              .agg(F.avg("value").alias("avg_value"),
                   F.count("*").alias("event_count"),
                   F.min("value").alias("min_value"),
                   F.max("value").alias("max_value"),
                   F.stddev("value").alias("stddev_value"),
                   F.avg("event_duration").alias("avg_event_duration"),
                   F.avg("battery_level").alias("avg_battery_level"),
                   F.avg("signal_strength").alias("avg_signal_strength"),
                   F.count(F.when(~F.col("is_valid_battery"), 1)).alias("low_battery_count"),
                   F.count(F.when(~F.col("is_valid_signal"), 1)).alias("weak_signal_count"))
              .select(F.col("window.start").alias("window_start"), F.col("window.end").alias("window_end"), "*")
              .drop("window"))
aggregated = (by_hour(aggregated, "window_start")
              .writeStream.format("parquet")
              .outputMode("append")
              .option("path", f"{out}/aggregated")
              .option("checkpointLocation", f"{out}/_checkpoints/aggregated")
              .partitionBy("year", "month", "day", "hour")
              .trigger(availableNow=True)
              .start())

raw.awaitTermination()
aggregated.awaitTermination()
spark.stop()
