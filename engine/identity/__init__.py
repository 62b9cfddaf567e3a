"""Users, groups, API tokens and passwords (who is asking is ``engine.actor``)."""

from engine.identity.service import GROUP_NAME, USER_NAME, UserInfo

__all__ = ["GROUP_NAME", "USER_NAME", "UserInfo"]
