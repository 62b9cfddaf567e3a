"""Users, groups, API tokens and passwords (who is asking is ``engine.actor``)."""

from engine.identity.service import (
    GROUP_NAME,
    LOCALES,
    UNCHANGED,
    USER_NAME,
    UserInfo,
    check_locale,
    check_time_zone,
    time_zones,
)

__all__ = [
    "GROUP_NAME",
    "LOCALES",
    "UNCHANGED",
    "USER_NAME",
    "UserInfo",
    "check_locale",
    "check_time_zone",
    "time_zones",
]
