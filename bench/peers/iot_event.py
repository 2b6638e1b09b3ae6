"""The seed 000 event as the Python peers validate it (pydantic): required device_id,
timestamp and value, battery and signal ranges when present, timestamps in UTC."""
import datetime as dt
from typing import Any, Optional

from pydantic import BaseModel, Field, field_validator


class IoTEvent(BaseModel):
    device_id: str = Field(min_length=1)
    device_type: Optional[str] = None
    location: Optional[str] = None
    timestamp: dt.datetime
    value: float
    unit: Optional[str] = None
    battery_level: Optional[int] = Field(default=None, ge=0, le=100)
    signal_strength: Optional[int] = Field(default=None, ge=-150, le=0)
    event_duration: Optional[float] = None
    metadata: Optional[Any] = None

    @field_validator("timestamp")
    @classmethod
    def utc(cls, value: dt.datetime) -> dt.datetime:
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
