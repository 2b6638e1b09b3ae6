"""Test helpers around a real S3-compatible server (MinIO from scripts/s3-dev.sh), read
with clients independent of sluice: pyarrow's S3 filesystem, DuckDB's httpfs extension
(from PyPI) and boto3 (for what only the S3 API shows, such as unfinished multipart
uploads)."""
import os
import subprocess
import time
import uuid

import boto3
import duckdb
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from duckdb_extensions import import_extension

import kafka_util as ku


def host(server):
    return server["endpoint"].split("://", 1)[1]


def filesystem(server):
    return pafs.S3FileSystem(endpoint_override=host(server), scheme="http", access_key=server["access_key"],
                             secret_key=server["secret_key"], allow_bucket_creation=True,
                             allow_bucket_deletion=True)


def make_bucket(server, prefix="lake"):
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    filesystem(server).create_dir(name)
    return name


def client(server):
    return boto3.client("s3", endpoint_url=server["endpoint"], aws_access_key_id=server["access_key"],
                        aws_secret_access_key=server["secret_key"], region_name="us-east-1")


def duckdb_connection(server):
    """A DuckDB connection that reads s3:// from the server (httpfs, path-style)."""
    con = duckdb.connect()
    import_extension("httpfs", con=con)
    con.sql("LOAD httpfs")
    con.sql(f"""CREATE SECRET minio (TYPE s3, KEY_ID '{server["access_key"]}', SECRET '{server["secret_key"]}',
                ENDPOINT '{host(server)}', URL_STYLE 'path', USE_SSL false, REGION 'us-east-1')""")
    return con


def objects(server, uri):
    """{key relative to the prefix of `uri`: size} of every object under it."""
    path = uri[len("s3://"):].rstrip("/")
    infos = filesystem(server).get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
    return {info.path[len(path) + 1:]: info.size for info in infos if info.is_file}


def assert_only_complete_parquet(server, uri, ignore=("_checkpoint/", "_staging/")):
    """Every object under `uri` is a whole Parquet file (readable footer) named *.parquet,
    except sluice's own under a checkpoint or staging directory (`ignore`), which a glob
    for *.parquet never matches."""
    fs = filesystem(server)
    found = objects(server, uri)
    assert found, f"nothing under {uri}"
    for key in found:
        if any(("/" + key).find("/" + part) >= 0 for part in ignore):
            assert not key.endswith(".parquet"), key
            continue
        assert key.endswith(".parquet") and "/." not in "/" + key, key
        pq.ParquetFile(fs.open_input_file(f"{uri[5:].rstrip('/')}/{key}")).metadata  # raises on a partial file


def aws_env(server):
    """Seed 000's variables for the server (and no instance-metadata lookups)."""
    return {"AWS_ENDPOINT": server["endpoint"], "AWS_ACCESS_KEY_ID": server["access_key"],
            "AWS_SECRET_ACCESS_KEY": server["secret_key"], "AWS_EC2_METADATA_DISABLED": "true"}


def sluice_env(server, **extra):
    """The environment for sluice runs against the server."""
    env = dict(os.environ, **aws_env(server))
    env.pop("AWS_S3_BUCKET_DATA", None)
    env.update(extra)
    return env


def restart_server(seconds_down):
    """Stops the shared server, waits, starts it again (same port and data)."""
    script = str(ku.ROOT / "scripts" / "s3-dev.sh")
    subprocess.run([script, "stop"], check=True)
    time.sleep(seconds_down)
    subprocess.run([script, "start"], check=True)
