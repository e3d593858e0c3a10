"""Use case: read the spec repo's branch, first-parent and oldest first, into the clause ledger."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from registry.audit import events as audit
from registry.errors import ConfigError
from registry.gitsource import RawCommit, SpecSource
from registry.ledger import hooks
from registry.ledger.commit_applier import CommitApplier
from registry.ledger.documents import CommitDocs
from registry.ledger.history_stream import job_for, parsed_history
from registry.ledger.options import IngestOptions
from registry.ledger.refs import seq_of
from registry.ledger.runs import DONE, STOPPED, mark_abandoned, this_process
from registry.ledger.state import LedgerState
from registry.models import (
    Clause,
    ClauseVersion,
    Commit,
    DocumentVersion,
    HistoryRewrite,
    IngestRun,
    IngestWarning,
    Ledger,
    Tag,
    utcnow,
)
from registry.transaction.locks import lock_writer

INGEST_ACTOR = "registry:ingest"
WARNINGS_PER_FILE = 100  # warnings kept for one file in one commit; one line says when more were dropped
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Problem:
    """A problem ingest stepped over, with where it was."""

    commit: str | None
    path: str
    message: str
    line: int | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {"commit": self.commit, "path": self.path, "message": self.message, "line": self.line}


@dataclass
class IngestReport:
    """What a run did."""

    head: str | None
    commits: int = 0
    versions: int = 0
    warnings: list[Problem] = field(default_factory=list)
    rewritten: bool = False
    run_id: int | None = None
    branch: str | None = None  # the branch the database tracks (not in the JSON form)
    abandoned_runs: list[int] = field(default_factory=list)  # runs found dead and marked so by this one

    def as_dict(self) -> dict[str, object]:
        """The JSON form: {"head", "commits", "versions", "rewritten", "abandoned_runs", "warnings": [...]}."""
        return {"head": self.head, "commits": self.commits, "versions": self.versions,
                "rewritten": self.rewritten, "abandoned_runs": self.abandoned_runs,
                "warnings": [w.as_dict() for w in self.warnings]}


class _Run:
    """One ingest run's bookkeeping: the run row and its warnings."""

    def __init__(self, session: Session, ledger: Ledger) -> None:
        self.session = session
        me = this_process()
        self.row = IngestRun(branch=ledger.branch, head_before=ledger.head_sha, pid=me.pid, host=me.host,
                             pid_started=me.started)
        session.add(self.row)
        session.flush()
        self.warnings: list[Problem] = []
        self.per_file: Counter[tuple[str | None, str]] = Counter()

    def warn(self, commit: str | None, path: str, message: str, line: int | None = None) -> None:
        """Keep a warning in the report and the database (up to WARNINGS_PER_FILE for one file in one commit)."""
        self.per_file[commit, path] += 1
        count = self.per_file[commit, path]
        if count > WARNINGS_PER_FILE + 1:
            return
        if count > WARNINGS_PER_FILE:  # a document with 16,000 equal headings needs no 16,000 rows
            message, line = f"more than {WARNINGS_PER_FILE} warnings for this file in this commit; the rest are not listed", None
        self.warnings.append(Problem(commit, path, message, line))
        self.session.execute(insert(IngestWarning), [{
            "run_id": self.row.id, "commit_sha": commit, "path": path, "line": line, "message": message,
        }])


def _ledger(session: Session, source: SpecSource, branch: str | None) -> Ledger:
    """The ledger row, created on first ingest; refuses a database that tracks another branch."""
    ledger = session.get(Ledger, 1, with_for_update=True)
    if branch is None:
        # Once a database tracks a branch, checking out another one in the spec repo's work tree
        # must not switch (or refuse) what it reads.
        branch = ledger.branch if ledger is not None else source.checked_out_branch()
    if ledger is None:
        ledger = Ledger(id=1, repo_path=str(source.path.resolve()), branch=branch, includes=[], head_seq=0)
        session.add(ledger)
        session.flush()
        return ledger
    if ledger.branch != branch:
        raise ConfigError(f"this database tracks branch {ledger.branch!r}; it cannot also hold "
                          f"{branch!r} (use another database, or --branch {ledger.branch})")
    if ledger.head_sha and Path(ledger.repo_path) != source.path.resolve() and \
            not source.has_commit(ledger.head_sha):  # (a git process: asked only of a repo at another path)
        raise ConfigError(f"this database holds the history of {ledger.repo_path}; "
                          f"{source.path} does not contain it (use another database)")
    ledger.repo_path = str(source.path.resolve())
    return ledger


def _sync_tags(session: Session, source: SpecSource, branch: str) -> None:
    """Make the tags table match the repo's tags (writes nothing when they already match).

    A tag that appears, moves or disappears changes what a release means, so it is audited.
    """
    current = {t.name: t for t in session.scalars(select(Tag))}
    before = {name: t.commit_sha for name, t in current.items()}
    seen = set()
    tags = source.tags()
    for tag in tags:
        seen.add(tag.name)
        row = current.get(tag.name)
        if row is None:
            session.add(Tag(name=tag.name, commit_sha=tag.commit, tagged_at=tag.tagged_at, message=tag.message))
        elif row.commit_sha != tag.commit:
            row.commit_sha, row.tagged_at, row.message = tag.commit, tag.tagged_at, tag.message
    gone = set(current) - seen
    if gone:
        session.execute(delete(Tag).where(Tag.name.in_(gone)))
    after = {t.name: t.commit for t in tags}  # what the table holds now
    changed = sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))
    if changed:
        audit.record(session, INGEST_ACTOR, "ingest.tags", f"branch:{branch}",
                     {n: before.get(n) for n in changed}, {n: after.get(n) for n in changed})


def _restore_keys(session: Session, fork_seq: int) -> None:
    """Give lineages renamed in set-aside history back the id they had at the fork."""
    touched = select(ClauseVersion.clause_id).where(ClauseVersion.seq > fork_seq).distinct()
    for clause in session.scalars(select(Clause).where(Clause.id.in_(touched))):
        last = session.scalars(
            select(ClauseVersion.key)
            .where(ClauseVersion.clause_id == clause.id, ClauseVersion.live)
            .order_by(ClauseVersion.seq.desc()).limit(1)
        ).first()
        if last is not None and last != clause.key:
            clause.key = last
    session.flush()


def _rewind(session: Session, source: SpecSource, ledger: Ledger, old_head: str, head: str, run: _Run) -> str | None:
    """The branch no longer contains what we ingested: keep every old version, continue from the fork."""
    on_branch = set(session.scalars(select(Commit.sha).where(Commit.live)))
    fork = next((sha for sha in source.first_parent_shas(head) if sha in on_branch), None)
    fork_seq = seq_of(session, fork) or 0
    abandoned = session.scalar(
        select(func.count()).select_from(Commit).where(Commit.seq > fork_seq, Commit.live)
    ) or 0
    for model in (Commit, ClauseVersion, DocumentVersion):
        session.execute(model.set_aside_after(fork_seq))
    session.add(HistoryRewrite(run_id=run.row.id, old_head=old_head, new_head=head,
                               fork_sha=fork, abandoned_commits=abandoned))
    run.warn(head, "", f"history rewritten: {old_head[:12]} is no longer on {ledger.branch}; "
             f"{abandoned} commit(s) after {fork[:12] if fork else 'the root'} were set aside "
             "(their versions are kept) and ingest continues from there")
    _restore_keys(session, fork_seq)
    audit.record(session, INGEST_ACTOR, "ingest.rewrite", f"branch:{ledger.branch}",
                 old={"head": old_head}, new={"head": head, "fork": fork, "set_aside": abandoned})
    ledger.head_sha = fork
    return fork


def ingest(session: Session, source: SpecSource, options: IngestOptions = IngestOptions(),
           progress: Progress | None = None, checkpoint: Callable[[], None] | None = None) -> IngestReport:
    """Ingest new commits of the branch; `checkpoint` (from the edge) may commit after each full batch."""
    lock_writer(session, "ingest")
    ledger = _ledger(session, source, options.branch)
    abandoned = mark_abandoned(session)  # runs killed earlier; a live run is never marked
    head = source.resolve(ledger.branch)
    _sync_tags(session, source, ledger.branch)
    backfilled = _backfill(session, source, ledger)
    if ledger.head_sha == head:
        return IngestReport(head=head, warnings=backfilled, abandoned_runs=abandoned, branch=ledger.branch)
    job = job_for(source, head, ledger.head_sha, options.includes, options.max_file_bytes, options.batch_commits)
    files = job.files
    run = _Run(session, ledger)
    if ledger.includes and ledger.includes != files.describe():
        run.warn(None, "", f"spec file rule changed from {ledger.includes} to {files.describe()}; "
                 "earlier history keeps what the old rule selected")
    ledger.includes = files.describe()
    since, rewritten = ledger.head_sha, False
    total = source.count_after(since, head) if since else source.count(head)
    if since and total is None:  # `since` is not an ancestor of head (or gone from the repo)
        since, rewritten = _rewind(session, source, ledger, since, head, run), True
    if total is None:
        total = source.count(head, since)
    job = replace(job, since=since)
    # The reader starts first: it reads the first batch while this process loads the ledger state.
    with parsed_history(source, job, in_process=total < options.reader_process_from) as batches:
        watchers = [make(session, run.warn) for make in hooks.installed()]
        if rewritten:
            for w in watchers:
                w.on_rewind(seq_of(session, since) or 0)
        applier = CommitApplier(session, LedgerState.load(session), options.similarity, run.warn, run.row.id,
                                watchers)
        done, stopped = _apply(session, source, batches, ledger, run, applier, total, options.batch_commits,
                               progress, checkpoint)
    run.row.status, run.row.finished_at = STOPPED if stopped else DONE, utcnow()
    session.flush()
    return IngestReport(head=run.row.head_after if stopped else head, commits=done,
                        versions=applier.versions_written, warnings=backfilled + run.warnings, rewritten=rewritten,
                        run_id=run.row.id, abandoned_runs=abandoned, branch=ledger.branch)


def _backfill(session: Session, source: SpecSource, ledger: Ledger) -> list[Problem]:
    """Replay the files a watcher never recorded (added since the database was ingested) up to the ledger's head.

    A database ingested before a watcher existed (frameworks.toml's, say) would otherwise record an
    existing file only when a commit next changed it. Each such watcher sees every earlier change
    of its unseen files, oldest first, as if it had ridden along, and finishes; the warnings go to a
    run of their own, and an `ingest.backfill` audit event names the files. Nothing happens when every
    watcher has recorded its files, or none was ingested.
    """
    if not ledger.head_sha:  # nothing ingested
        return []
    runs: list[_Run] = []

    def warn(commit: str | None, path: str, message: str, line: int | None = None) -> None:
        if not runs:
            runs.append(_Run(session, ledger))
        runs[0].warn(commit, path, message, line)

    watchers = hooks.unseen(session, [make(session, warn) for make in hooks.installed()])
    unseen_paths = sorted({p for _w, unseen in watchers for p in unseen})
    if not unseen_paths:
        return []
    # Only files the head has: a file the repo never had (specreg.toml, usually) stays unseen, and looking
    # for its history would walk every commit on every ingest (a third of one new commit's ingest at 5,000
    # commits). The price: a governance file deleted before its watcher existed is not replayed.
    present = source.present(ledger.head_sha, unseen_paths)
    if present is None:  # the head is not in the repo: a rewrite's to come
        return []
    watchers = [(w, unseen & present) for w, unseen in watchers if unseen & present]
    paths = sorted(present)
    if not paths:
        return []
    commits = list(source.log(ledger.head_sha, None, paths))
    seqs = {sha: seq for sha, seq in session.execute(select(Commit.sha, Commit.seq)
                                                      .where(Commit.sha.in_([c.sha for c in commits]), Commit.live))}
    blobs = dict(source.blobs(dict.fromkeys(ch.new_blob for c in commits for ch in c.changes
                                            if ch.new_blob and ch.status != "D")))
    for commit in commits:
        if commit.sha not in seqs:  # not a commit this database ingested (cannot be on its branch): skip
            continue
        for w, unseen in watchers:
            for ch in commit.changes:
                if ch.status == "R" and ch.old_path in unseen:
                    w.on_file(commit, seqs[commit.sha], ch.old_path, None)
                if ch.path in unseen:
                    blob = None if ch.status == "D" else ch.new_blob
                    w.on_file(commit, seqs[commit.sha], ch.path, blobs.get(blob, b"") if blob else None)
    for w, _unseen in watchers:
        w.finish()
    # Audited like every other change a kept answer may read: these versions sit at earlier commits, where
    # no check of a push looks (proposals.verdict_reach), so the event is what moves the answers kept under
    # the newest standing event and the verdicts carried over pushes.
    audit.record(session, INGEST_ACTOR, "ingest.backfill", f"branch:{ledger.branch}",
                 new={"head": ledger.head_sha, "files": paths})
    for run in runs:
        run.row.head_after, run.row.status, run.row.finished_at = ledger.head_sha, DONE, utcnow()
    session.flush()
    return runs[0].warnings if runs else []


def _apply(session: Session, source: SpecSource, batches: Iterator[list[CommitDocs]], ledger: Ledger,
           run: _Run, applier: CommitApplier, total: int, every: int, progress: Progress | None,
           checkpoint: Callable[[], None] | None) -> tuple[int, bool]:
    """Apply the batches in order, writing every `every` commits; (commits applied, stopped early)."""
    # The ledger row learns the new seq with the head it goes with, in `_advance`: one UPDATE per batch.
    done, last, seq = 0, None, ledger.head_seq
    for batch in batches:
        wanted = dict.fromkeys(b for docs in batch for b in applier.watched_blobs(docs.commit))
        blobs = dict(source.blobs(wanted))
        for docs in batch:
            seq += 1
            applier.apply(docs, seq, blobs)
            done, last = done + 1, docs.commit
            if progress:
                progress(done, total)
            if done % every == 0 and not _write(session, ledger, run, applier, last, seq, done, checkpoint):
                return done, True
    if last is not None and done % every:
        # The last batch needs no checkpoint: the edge commits it with the run's end, where a checkpoint
        # would commit, then take the locks again and read the ledger only to finish the run row.
        return done, not _write(session, ledger, run, applier, last, seq, done, None)
    return done, False


def _write(session: Session, ledger: Ledger, run: _Run, applier: CommitApplier, last: RawCommit, seq: int,
           done: int, checkpoint: Callable[[], None] | None) -> bool:
    """Write what was applied, move the ledger head to `last` at `seq`, checkpoint; False: another writer took over."""
    applier.flush()
    _advance(session, ledger, run, last, seq, done, applier.versions_written)
    for w in applier.watchers:
        w.advanced()
    if checkpoint:
        checkpoint()
        return _still_ours(session, ledger, run, last.sha)
    return True


def _still_ours(session: Session, ledger: Ledger, run: _Run, ours: str) -> bool:
    """After a checkpoint committed (which let go of the locks): take them again, and check the head.

    Another ingest (or a merge) may have run in between; if it moved the head, this run's reading of
    the ledger is stale, so it stops (with a warning) and writes nothing more. `ours`: the head it wrote.
    """
    lock_writer(session, "ingest")
    session.refresh(ledger, with_for_update=True)
    if ledger.head_sha == ours:
        return True
    run.warn(ours, "", f"another ingest moved the ledger from {ours[:12]} to "
             f"{(ledger.head_sha or 'nothing')[:12]} while this run committed a batch; this run stops "
             "there and the other one reads what follows")
    return False


def _advance(session: Session, ledger: Ledger, run: _Run, last: RawCommit, seq: int, done: int,
             versions: int) -> None:
    """Move the ledger head past a written batch (audited), so a crash later resumes after it."""
    audit.record(session, INGEST_ACTOR, "ingest", f"branch:{ledger.branch}",
                 old={"head": ledger.head_sha, "commits": run.row.commits, "versions": run.row.versions},
                 new={"head": last.sha, "commits": done, "versions": versions, "run": run.row.id})
    ledger.head_sha, ledger.head_seq = last.sha, seq
    ledger.updated_at = utcnow()
    run.row.head_after, run.row.commits, run.row.versions = last.sha, done, versions
    session.flush()
