"""Errors a distillguard user can act on.

The tree::

    DistillguardError                 anything distillguard raises on purpose
     +-- EventFormatError             an event log line is not a valid event (file, line, field)
     |    +-- OutOfOrderError         an event's ts is older than the one before it
     +-- RecordFormatError            a line of a JSONL records file is not a valid record
 |    +-- LabelFormatError        ... of a labels file
 |    +-- ResultFormatError       ... of a detector's output (accounts.jsonl)
     +-- InputNotFoundError           a file or folder named on the command line is missing
     +-- ConvertError                 a foreign log line cannot be turned into an event
     +-- ScenarioError                a simulation option asks for something it cannot produce
     +-- ConfigError                  a setting is missing or has a bad value (key, value, source)
     +-- PolicyError                  an enforcement policy file is invalid (file, key, value)
     +-- StoreError                   the account store cannot do what was asked
     |    +-- StoreUnavailableError   the database cannot be reached, created or migrated
     |    +-- NotFoundError           no account, key or tier with that id
     |    +-- InvalidValueError       a field was given a value it cannot take
     |    |    +-- InvalidFieldError  ... a text too long, with control characters, or refused
     |    +-- InvalidKeyError         an API key is malformed, unknown or revoked
     +-- LedgerError                  the tamper-evident ledger cannot be written, read or trusted
     |    +-- LedgerFormatError       a ledger line is not a valid record (file, line, field)
     |    +-- LedgerTamperedError     a record was edited, deleted, reordered or inserted
     |    +-- LedgerKeyError          a signing or public key file cannot be used
     |    +-- LedgerTailError         the unsigned records a crash left do not chain (not signed)
     +-- LocalModelError              the local model cannot be loaded (extra, GGUF file)
     +-- AuditError                   a watermark audit has nothing to test or no secret
     +-- ReviewModelError             a review model cannot be fitted, read or applied
     |    +-- TooFewLabelsError       too few reviewed accounts of one class to fit on
     |    +-- EvidenceValueError      a detector output is not a number within [0, 1]
     |    +-- ReviewStateError        a saved review model is not one this version reads
     +-- UpstreamError                a model server failed or answered with an error
          +-- UpstreamTimeoutError    a model server did not answer in time

Every message says what failed, where, the bad value, and what would fix it.
"""

from __future__ import annotations


class DistillguardError(Exception):
    """Base of every error distillguard raises on purpose."""


class EventFormatError(DistillguardError):
    """A line of an event log does not follow the event format."""

    def __init__(self, path: str, line: int, field: str, problem: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem
        where = f"{path}:{line}"
        at = f" field '{field}'" if field else ""
        super().__init__(f"{where}:{at} {problem} (see docs/events.md; use --lenient to skip)")


class OutOfOrderError(EventFormatError):
    """An event is older than the event before it in the same file."""


class RecordFormatError(DistillguardError):
    """A line of a JSONL records file (labels, detector output) is not a valid record."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        super().__init__(f"{path}:{line}: {problem}")


class LabelFormatError(RecordFormatError):
    """A line of a labels file does not follow the labels format."""


class ResultFormatError(RecordFormatError):
    """A line of a detector's accounts.jsonl is not a valid account result."""


class InputNotFoundError(DistillguardError):
    """A file or folder that a command needs does not exist."""

    def __init__(self, path: str, what: str) -> None:
        self.path = path
        super().__init__(f"{what} not found: {path}")


class ConvertError(DistillguardError):
    """A line of a foreign log format cannot be converted to an event."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        super().__init__(f"{path}:{line}: {problem}")


class ScenarioError(DistillguardError):
    """A simulation was asked for something it cannot produce (bad count, days, scenario)."""

    def __init__(self, option: str, value: object, fix: str) -> None:
        self.option = option
        self.value = value
        super().__init__(f"simulate: {option}={value!r} is not allowed; {fix}")


class ConfigError(DistillguardError):
    """A setting is missing or has a value distillguard cannot use."""

    def __init__(self, key: str, value: object, problem: str, source: str = "") -> None:
        self.key = key
        self.value = value
        self.problem = problem
        where = f" in {source}" if source else ""
        super().__init__(
            f"config{where}: '{key}' = {value!r}: {problem} "
            f"(fix the TOML key '{key}' or the DISTILLGUARD_* environment variable)"
        )


class PolicyError(DistillguardError):
    """An enforcement policy file is not valid TOML or has a setting it cannot use."""

    def __init__(self, source: str, key: str, value: object, problem: str) -> None:
        self.source = source
        self.key = key
        self.value = value
        self.problem = problem
        super().__init__(
            f"policy {source}: '{key}' = {value!r}: {problem} "
            "(see examples/policy.toml for every setting, explained)"
        )


class StoreError(DistillguardError):
    """The account store cannot do what was asked."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached, created or migrated.

    The message names the backend only: it reaches logs and HTTP bodies, which must not learn
    where the database lives or how to log in to it. `url` (password hidden) is for operators.
    """

    def __init__(self, url: str, problem: str) -> None:
        self.url = url
        backend = url.partition(":")[0].partition("+")[0] or "database"
        super().__init__(
            f"the account store ({backend}) is unavailable: {problem} "
            "(check --config / DISTILLGUARD_DATABASE_URL and that the database is running)"
        )


class NotFoundError(StoreError):
    """No account, API key or tier has the id that was given."""

    def __init__(self, what: str, ident: str, fix: str) -> None:
        self.what = what
        self.ident = ident
        super().__init__(f"no {what} with id {ident!r}; {fix}")


class InvalidValueError(StoreError):
    """A field of an account (or other record) was given a value it cannot take."""

    def __init__(self, field: str, value: object, allowed: list[str]) -> None:
        self.field: str | None = field
        self.value = value
        super().__init__(f"{field} {value!r} is not one of {', '.join(allowed)}")


class InvalidFieldError(InvalidValueError):
    """A text field is too long or holds control characters, or the database refused a value.

    `field` is None when only the database knows which value it refused.
    """

    def __init__(self, field: str | None, problem: str) -> None:
        self.field = field
        self.value = None
        self.problem = problem
        StoreError.__init__(self, f"{field}: {problem}" if field else problem)


class InvalidKeyError(StoreError):
    """An API key is malformed, unknown or revoked. The message never holds the secret."""

    def __init__(self, problem: str, key_id: str | None = None) -> None:
        self.key_id = key_id
        self.problem = problem
        at = f" (key id {key_id})" if key_id else ""
        super().__init__(f"API key rejected{at}: {problem}")


class UpstreamError(DistillguardError):
    """A model server could not be reached or answered with an error."""

    def __init__(
        self, upstream: str, problem: str, status: int | None = None, body: bytes = b""
    ) -> None:
        self.upstream = upstream
        self.problem = problem
        self.status = status  # the upstream's HTTP status, when it answered at all
        self.body = body  # the upstream's error body, when it answered with one
        super().__init__(f"upstream '{upstream}': {problem}")


class UpstreamTimeoutError(UpstreamError):
    """A model server did not answer within its timeout."""


class LedgerError(DistillguardError):
    """The tamper-evident ledger cannot be written, read or trusted."""


class LedgerFormatError(LedgerError):
    """A line of a ledger file is not a record, a checkpoint or a stub of the ledger format."""

    def __init__(self, path: str, line: int, field: str, problem: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem
        at = f" field '{field}'" if field else ""
        super().__init__(f"{path}:{line}:{at} {problem} (see distillguard/forensics/ledger.py)")


class LedgerTamperedError(LedgerError):
    """Verification found a record or checkpoint that is not what was signed."""

    def __init__(self, path: str, line: int, seq: int, problem: str) -> None:
        self.path = path
        self.line = line
        self.seq = seq  # the record number where the chain first breaks
        self.problem = problem
        super().__init__(f"{path}:{line}: record {seq}: {problem}")


class LedgerKeyError(LedgerError):
    """A signing (private) or verifying (public) key file cannot be read or used."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        fix = "create a pair with `distillguard ledger keygen --out KEY`"
        super().__init__(f"key file {path}: {problem} ({fix})")


class LedgerTailError(LedgerError):
    """At reopening, a record after the last checkpoint does not chain: it is not signed."""

    def __init__(self, path: str, line: int, seq: int | None, problem: str, folder: str) -> None:
        self.path = path
        self.line = line
        self.seq = seq  # the first bad record's number (None: the line holds none)
        self.problem = problem
        self.folder = folder
        record = f" record {seq}:" if seq is not None else ""
        super().__init__(
            f"{path}:{line}:{record} {problem}. The records after the last checkpoint were never "
            "signed and do not chain, so none was signed and no file was changed: run "
            f"`distillguard ledger verify {folder}` to see what holds, then move {folder} aside "
            "(keep it as evidence) to start a new chain in an empty folder"
        )


class LocalModelError(DistillguardError):
    """The local model upstream cannot load its model: a missing extra or GGUF file."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        super().__init__(f"local model: {problem}; {fix}")


class AuditError(DistillguardError):
    """A watermark audit cannot run: no texts, no candidate accounts or no secret."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        super().__init__(f"audit: {problem}; {fix}")


class ReviewModelError(DistillguardError):
    """A review model (detect/review.py) cannot be fitted, read or applied."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        super().__init__(f"review model: {problem}; {fix}")


class TooFewLabelsError(ReviewModelError):
    """Too few reviewed accounts of one class (extraction or benign) to fit a model on."""

    def __init__(self, extraction: int, benign: int, needed: int) -> None:
        self.extraction = extraction
        self.benign = benign
        self.needed = needed
        short = [
            f"{n} {what} (needs {needed})"
            for n, what in ((extraction, "confirmed extraction"), (benign, "dismissed benign"))
            if n < needed
        ]
        super().__init__(
            f"too few reviewed accounts: {' and '.join(short)}",
            "review more cases (`distillguard cases confirm|dismiss`) and fit again; "
            "until then the current risk score and threshold stay in force",
        )


class EvidenceValueError(ReviewModelError):
    """A detector output given to a review model is not a finite number within [0, 1]."""

    def __init__(self, account: str, name: str, value: object) -> None:
        self.account = account
        self.name = name
        self.value = value
        where = f"account {account!r}: " if account else ""
        super().__init__(
            f"{where}evidence {name!r} = {value!r} is not a number within [0, 1]",
            "detector outputs are scores in [0, 1]; fix the row in accounts.jsonl or the detector",
        )


class ReviewStateError(ReviewModelError):
    """A saved review model (model.json) is not one this version of distillguard reads."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem, "fit it again with `distillguard review-model fit`")
