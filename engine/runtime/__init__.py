"""Running process instances: start, advance, complete, cancel, suspend, resume."""

from engine.runtime.service import (
    BUSINESS_KEY,
    MAX_REASON,
    InstanceFilter,
    InstanceInfo,
    InstanceRights,
    ModelPage,
)

__all__ = ["BUSINESS_KEY", "MAX_REASON", "InstanceFilter", "InstanceInfo", "InstanceRights", "ModelPage"]
