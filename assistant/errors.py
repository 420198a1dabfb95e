"""Exceptions the CLI and web layer translate into user-facing messages."""


class AssistantError(Exception):
    """Base class: the message is safe to show to a user."""


class DocumentError(AssistantError):
    """A document could not be read or parsed."""


class IndexMissingError(AssistantError):
    """No index has been built in the given directory."""


class IndexMismatchError(AssistantError):
    """The index was built with another encoder or chunker version."""


class IndexCorruptError(AssistantError):
    """An index file is missing, truncated or fails its checksum."""


class EncoderError(AssistantError):
    """The encoder could not be loaded or failed on an input."""
