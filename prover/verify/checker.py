"""The ``Checker`` every command checks proofs with (verify, check, prove, search, the Ray actors): the
policy of ``policy.py`` over a backend (a warm REPL pool or one ``lean --json`` process per proof).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from prover.lean.filecheck import FileRun, file_runner
from prover.lean.pool import ReplPool
from prover.lean.setup import LeanSetup
from prover.verify.policy import BadReference, Reason, Reference, VerifyResult, check_proof

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckSettings:
    """How proofs are checked, apart from where Lean is: the backend and Lean's limits."""

    backend: str = "auto"  # auto | repl | file
    timeout: float = 300.0
    memory_mb: int = 0  # 0: no cap
    allow_native_decide: bool = False
    confirm: bool = True  # repl: every accepted proof is confirmed by the file checker
    workers: int = 1

    @classmethod
    def of(cls, cfg, **given) -> CheckSettings:
        """The one way to build these: each field from the command's config, or given here where the
        command has no such setting. A field neither names is an error, never a silent default."""
        values = {f: getattr(cfg, f) for f in cls.__dataclass_fields__ if hasattr(cfg, f)}
        values.update(given)
        missing = [f for f in cls.__dataclass_fields__ if f not in values]
        if missing:
            raise TypeError(f"CheckSettings.of({type(cfg).__name__}): say {', '.join(missing)}")
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)


class Checker:
    """Checks outputs against references with the chosen backend; safe to call from threads. Every
    command (verify, check, prove, search, the Ray actors) checks through one of these."""

    def __init__(self, settings: CheckSettings, setup: LeanSetup):
        self.settings, self.setup = settings, setup
        self.command = setup.require_lean()
        self.pool: ReplPool | None = None
        backend = settings.backend
        if backend == "auto":
            backend = "repl" if setup.repl_built else "file"
        if backend == "repl":
            self.pool = ReplPool(setup.require_repl(settings.memory_mb or None), settings.timeout)
        self.backend = backend
        # ``lean --json`` on ``header + body`` (and ``check`` over it) with this run's limits
        self.run_file = file_runner(self.command, settings.timeout, settings.memory_mb or None)

    def file_check(self, reference: Reference, output: str) -> VerifyResult:
        return check_proof(reference, output, self.run_file, self.settings.allow_native_decide)

    def __call__(self, reference: Reference, output: str) -> VerifyResult:
        """The verdict, whatever happens: a reference that does not elaborate is ``bad_statement`` for its
        own items only; the machine failing (a file it cannot write) is a crash, no judgement of the proof;
        anything else this checker cannot handle is the output's refusal (fail closed), never a batch's
        abort."""
        try:
            return self._check(reference, output)
        except BadReference as error:  # the reference itself is broken: no proof of it can pass
            return VerifyResult(Reason.BAD_STATEMENT, str(error))
        except OSError as error:
            return VerifyResult(Reason.CRASH, f"the checker failed: {type(error).__name__}: {error}")
        except Exception as error:  # noqa: BLE001 - one output's problem is that output's verdict
            logger.exception("%s: the checker could not handle an output", reference.name)
            return VerifyResult(
                Reason.FORBIDDEN, f"the checker cannot read this output ({type(error).__name__}: {error})"[:500]
            )

    def _check(self, reference: Reference, output: str) -> VerifyResult:
        if self.pool is None:
            return self.file_check(reference, output)
        result = check_proof(reference, output, self.pool, self.settings.allow_native_decide)
        if (
            result.accepted and self.settings.confirm
        ):  # the REPL alone has had false accepts: the file decides
            confirmed = self.file_check(reference, output)
            if not confirmed.accepted:
                logger.warning(
                    "%s: the REPL accepted a proof the file checker rejects (%s)",
                    reference.name,
                    confirmed.reason.value,
                )
            confirmed.seconds += result.seconds
            return confirmed
        return result

    @property
    def question(self) -> str:
        """What this checker's verdicts answer, strongest first: ``file`` (Lean on the whole file decides),
        ``repl+file`` (the REPL, every accept confirmed by the file checker), ``repl`` (the REPL alone)."""
        if self.pool is None:
            return "file"
        return "repl+file" if self.settings.confirm else "repl"

    def cache_questions(self) -> list[str]:
        """Whose kept verdicts may answer this checker, strongest first: those of a stronger question, then
        its own (a REPL-alone accept never answers a confirmed run; a confirmed verdict answers both)."""
        order = ["file", "repl+file", "repl"]
        return order[: order.index(self.question) + 1]

    def cache_identity(self, question: str | None = None) -> str:
        """The part of a verdict's cache key that says who decided it: the Lean (``LeanSetup.identity``),
        the question (``question``), the time and memory limits do not change a judgement."""
        return f"{self.setup.identity()} | {question or self.question}"

    def run(self, header: str, body: str, check: str | None = None) -> FileRun:
        """Lean's messages on ``header + body`` (and ``check`` over it) from this checker's backend."""
        return (self.pool or self.run_file)(header, body, check)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
