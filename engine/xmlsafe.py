"""Parsing of untrusted XML (BPMN and DMN uploads).

Entity resolution, DTD loading and network access are off; documents that declare a
DOCTYPE are refused outright (no billion-laughs, no external entities); size is capped
before parsing. Errors say which file and line.
"""

from __future__ import annotations

from lxml import etree

from engine.errors import ModelValidationError, Problem

DEFAULT_MAX_XML_BYTES = 2 * 1024 * 1024  # callers pass Settings.max_file_bytes


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_untrusted_xml(
    content: bytes, file_name: str, max_bytes: int = DEFAULT_MAX_XML_BYTES
) -> etree._Element:
    """Parse ``content`` safely and return the root element (with source line numbers)."""
    if len(content) > max_bytes:
        raise ModelValidationError(
            f"{file_name} is {len(content):,} bytes; the limit is {max_bytes:,}",
            [Problem("file too large", file=file_name)],
        )
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise ModelValidationError(
            f"{file_name} declares a DOCTYPE or entities, which uploads may not contain",
            [Problem("DOCTYPE/ENTITY declarations are not allowed", file=file_name)],
        )
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise ModelValidationError(
            f"{file_name} is not well-formed XML",
            [Problem(exc.msg, file=file_name, line=line)],
        )
    if root.getroottree().docinfo.doctype:
        raise ModelValidationError(
            f"{file_name} declares a DOCTYPE, which uploads may not contain",
            [Problem("DOCTYPE declarations are not allowed", file=file_name)],
        )
    return root
