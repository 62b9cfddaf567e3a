"""Running process instances: start, advance, complete, cancel, suspend, resume."""

from engine.runtime.service import BUSINESS_KEY, InstanceFilter, InstanceInfo, ModelPage

__all__ = ["BUSINESS_KEY", "InstanceFilter", "InstanceInfo", "ModelPage"]
