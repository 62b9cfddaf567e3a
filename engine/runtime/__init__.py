"""Running process instances: start, advance, complete, cancel, suspend, resume; search them."""

from engine.runtime.search import COUNT_CAP, SORTS, InstancePage, InstanceSearch
from engine.runtime.service import BUSINESS_KEY, InstanceFilter, InstanceInfo, ModelPage

__all__ = [
    "BUSINESS_KEY",
    "COUNT_CAP",
    "SORTS",
    "InstanceFilter",
    "InstanceInfo",
    "InstancePage",
    "InstanceSearch",
    "ModelPage",
]
