"""What a chaos run measured, which invariants failed, and the report whose last line is the
summary (`chaos: cycles=... kills=... missing=0 ...`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bench.chaos.invariants import ClientFigures
from bench.chaos.runner import RunRecord

# Requests with a revoked token the run may send: the refused first pull sends 2 at once
# (profile + page 0); a run killed before it recorded the refusal may send 2 more, and so on.
MAX_REVOKED_REQUESTS = 8


@dataclass
class Result:
    cycles: int
    kills: int
    seconds: float
    clients: list[ClientFigures]
    token_leaks: list[str]
    revoked_runs: int
    revoked_loud: int
    revoked_quiet: int
    others_403: int
    others_ok_while_revoked: dict[str, int]
    failed_runs: dict[str, int]
    mutations: dict[str, int]
    weather: dict[str, int]
    runs: int
    min_kills: int
    median_seconds: dict[str, float] = field(default_factory=dict)
    revoked_skipped: int = 0  # runs the token breaker kept from calling Ecwid
    revoked_requests: int = 0  # requests Ecwid saw with the revoked token after revocation
    checks_failed: int = 0  # `clients check` after the token was replaced, not OK

    def totals(self) -> dict[str, int]:
        c = self.clients
        return {
            "orders": sum(f.orders for f in c),
            "missing": sum(len(f.missing) for f in c),
            "duplicated": sum(f.duplicated for f in c),
            "non_matching": sum(len(f.non_matching) for f in c),
            "stale": sum(len(f.stale) for f in c),
            "deleted": sum(f.deleted for f in c),
            "deleted_not_cancelled": sum(len(f.deleted_not_cancelled) for f in c),
            "pushed_after_delete": sum(len(f.pushed_after_delete) for f in c),
            "pushes": sum(f.pushes for f in c),
            "pushes_duplicated": sum(len(f.pushes_duplicated) for f in c),
            "pushes_missing": sum(len(f.pushes_missing) for f in c),
            "wrong_numbers": sum(len(f.wrong_numbers) for f in c),
            "url_wrong": sum(len(f.url_wrong) for f in c),
            "items_sent": sum(f.items_sent for f in c),
            "stock_mismatch": sum(len(f.stock_mismatch) for f in c),
        }

    def failures(self) -> list[str]:
        """Every invariant that does not hold, as a sentence (empty = all hold)."""
        problems = [
            f"{name}={value}"
            for name, value in self.totals().items()
            if value and name not in ("orders", "pushes", "deleted")
        ]
        if self.token_leaks:
            problems.append(f"token found in: {', '.join(sorted(set(self.token_leaks))[:5])}")
        accounted = self.revoked_loud + self.revoked_quiet + self.revoked_skipped
        if accounted != self.revoked_runs:
            problems.append(
                f"revoked client: {self.revoked_loud} of {self.revoked_runs} runs failed with the "
                f"403 message, {self.revoked_skipped} skipped Ecwid, {self.revoked_quiet} had "
                "nothing to do (the rest neither)"
            )
        if self.revoked_loud > 1:  # a killed run may have tripped the breaker: then 0
            problems.append(f"revoked client: {self.revoked_loud} failed runs (alerts), not 1")
        if self.revoked_requests > MAX_REVOKED_REQUESTS:
            problems.append(
                f"revoked token used {self.revoked_requests} times (> {MAX_REVOKED_REQUESTS})"
            )
        if self.checks_failed:
            problems.append(f"clients check failed {self.checks_failed} times after the fix")
        if self.others_403:
            problems.append(f"{self.others_403} runs of other clients failed with 403")
        if any(n == 0 for n in self.others_ok_while_revoked.values()):
            problems.append(f"other clients stalled while revoked: {self.others_ok_while_revoked}")
        if self.kills < self.min_kills:
            problems.append(f"only {self.kills} kills (< {self.min_kills})")
        return problems

    def summary(self) -> str:
        t = self.totals()
        return (
            f"chaos: cycles={self.cycles} kills={self.kills} orders={t['orders']} "
            f"missing={t['missing']} duplicated={t['duplicated']} "
            f"non_matching={t['non_matching']} stale={t['stale']} deleted={t['deleted']} "
            f"deleted_not_cancelled={t['deleted_not_cancelled']} "
            f"pushed_after_delete={t['pushed_after_delete']} pushes={t['pushes']} "
            f"pushes_duplicated={t['pushes_duplicated']} pushes_missing={t['pushes_missing']} "
            f"url_wrong={t['url_wrong']} stock_mismatch={t['stock_mismatch']} "
            f"token_leaks={len(self.token_leaks)} "
            f"revoked_loud={self.revoked_loud}/{self.revoked_runs - self.revoked_quiet} "
            f"others_403={self.others_403} revoked_skipped={self.revoked_skipped} "
            f"revoked_requests={self.revoked_requests}"
        )


def skipped_for_token(record: RunRecord) -> bool:
    """The run found the client's token breaker open and sent nothing."""
    return "not calling Ecwid: its token was refused" in record.text()


def nothing_to_do(record: RunRecord) -> bool:
    return record.step == "tracking" and "nothing to do" in record.text()


def says_403(record: RunRecord) -> bool:
    """The run's output carries the one-line refusal ("... rejected the token (403)"); a bare
    "403" is not enough (timestamps and ids contain it)."""
    text = record.text()
    return "(403)" in text and record.client in text


def report(result: Result, say: Callable[[str], None] = print) -> None:
    """Per-client figures, run facts, any failed invariant, then the summary as last line."""
    for f in result.clients:
        say(
            f"{f.client}: orders={f.orders} matching_now={f.matching} quarantined={f.quarantined} "
            f"missing={len(f.missing)} duplicated={f.duplicated} "
            f"non_matching={len(f.non_matching)} stale={len(f.stale)} deleted={f.deleted} "
            f"deleted_not_cancelled={len(f.deleted_not_cancelled)} "
            f"refused_deleted={f.refused_deleted} "
            f"pushed_after_delete={len(f.pushed_after_delete)} "
            f"shipped_orders={f.shipped_orders} pushes={f.pushes} "
            f"pushes_duplicated={len(f.pushes_duplicated)} "
            f"pushes_missing={len(f.pushes_missing)} refused_cancelled={f.refused_cancelled} "
            f"wrong_numbers={len(f.wrong_numbers)} url_wrong={len(f.url_wrong)} "
            f"items_sent={f.items_sent} skus_checked={f.skus_checked} "
            f"stock_mismatch={len(f.stock_mismatch)}"
        )
        for name in (
            "missing",
            "non_matching",
            "stale",
            "deleted_not_cancelled",
            "pushed_after_delete",
            "pushes_duplicated",
            "pushes_missing",
            "wrong_numbers",
            "url_wrong",
            "stock_mismatch",
        ):
            values = getattr(f, name)
            if values:
                say(f"  {f.client} {name}: {', '.join(map(str, values[:10]))}")
    say(
        f"runs={result.runs} kills={result.kills} seconds={result.seconds:.0f} "
        f"cycles/min={result.cycles / max(result.seconds, 1) * 60:.2f} "
        f"failed_runs(not revoked)={result.failed_runs} store_changes={result.mutations} "
        f"weather={result.weather} others_ok_while_revoked={result.others_ok_while_revoked}"
    )
    medians = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(result.median_seconds.items()))
    say(f"median seconds: {medians}")
    for problem in result.failures():
        say(f"INVARIANT FAILED: {problem}")
    say(result.summary())
