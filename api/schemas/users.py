"""Users, groups and API tokens."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.fields import GroupName, Locale, Text, TimeZone, UserName


class LoginBody(Schema):
    username = Text(required=True, length=(1, 100))
    password = Text(required=True, length=(1, 1000))


class TokenSchema(Schema):
    token = fields.String(required=True, metadata={"description": "shown once: only its hash is stored"})
    token_type = fields.Constant("Bearer", required=True)


class UserSchema(Schema):
    name = fields.String(required=True)
    display_name = fields.String(required=True, allow_none=True)
    groups = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    locale = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "web UI language: en or zh; null: not chosen"},
    )
    time_zone = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "IANA time zone, e.g. Asia/Shanghai; null: not chosen"},
    )


class UserListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema), required=True)


class NewUserBody(Schema):
    name = UserName(required=True)
    groups = fields.List(GroupName(), load_default=list, validate=validate.Length(max=100))
    password = Text(length=(8, 1000), allow_none=True)
    display_name = Text(length=(1, 200), allow_none=True)


class NewUserSchema(Schema):
    user = fields.Nested(UserSchema, required=True)
    token = fields.String(required=True, metadata={"description": "the user's first API token, shown once"})
    token_type = fields.Constant("Bearer", required=True)


class GroupsBody(Schema):
    groups = fields.List(GroupName(), required=True, validate=validate.Length(max=100))


class TokenBody(Schema):
    label = Text(length=(1, 100), allow_none=True)


class PreferencesBody(Schema):
    """Only the fields sent change; null clears one (the UI then follows the browser)."""

    locale = Locale(allow_none=True, metadata={"example": "zh"})
    time_zone = TimeZone(allow_none=True, metadata={"description": "IANA name", "example": "Asia/Shanghai"})
