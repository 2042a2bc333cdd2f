"""Errors the user sees: each carries a one-line message that names the problem."""


class MVError(Exception):
    """Base for every expected failure; ``str(err)`` is a single line fit for the user."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class InputError(MVError):
    """A file, folder or argument the user gave cannot be used."""


class AudioError(InputError):
    """The song cannot be read or is outside what MV Studio supports."""


class RenderError(MVError):
    """FFmpeg failed to produce a video."""


class StoreError(MVError):
    """A project file cannot be opened or saved."""


class ProviderError(MVError):
    """A generation provider (local or cloud) failed."""


class KeyRejected(ProviderError):
    """The service refused the API key (wrong or revoked): no other item can succeed either, so
    the run stops."""


class BudgetExceeded(ProviderError):
    """A paid call was not started because its reservation would break the project's budget cap."""


class ItemsFailed(ProviderError):
    """Some items of a stage failed while the others were made; ``failures``: item id -> reason."""

    def __init__(self, message: str, failures: dict[str, str]):
        super().__init__(message)
        self.failures = dict(failures)


class Cancelled(MVError):
    """The user cancelled the running job."""

    def __init__(self, message: str = "cancelled by the user"):
        super().__init__(message)
