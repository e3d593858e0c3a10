"""Ownership from OWNERS.toml history: as-of queries, bad files, rewrites, people and teams."""
from __future__ import annotations

import pytest
from ledger_helpers import run_ingest
from owners_helpers import LEX, OWNERS_V1, OWNERS_V2, PEOPLE, RULES, build, emails
from sqlalchemy import select

from registry.accounts.users import add_user, disable_user
from registry.errors import UnknownOwner, UnknownVersion
from registry.ledger.refs import resolve
from registry.models import IngestWarning, OwnersVersion, Person
from registry.owners.queries import clause_ownership_history, owned_by, unowned, who_owns


def warnings(session) -> list[tuple[str, str, int | None, str]]:
    rows = session.scalars(select(IngestWarning).where(IngestWarning.path == "OWNERS.toml").order_by(IngestWarning.id))
    return [(w.commit_sha, w.path, w.line, w.message) for w in rows]


def test_before_any_owners_file_every_clause_is_unowned(session, repo):
    first, _, _ = build(repo)
    run_ingest(session, repo)
    assert emails(session, "be_honest", first) == []
    assert unowned(session, resolve(session, first)).share == 1.0


@pytest.mark.parametrize("key, at_v1, at_v2", [
    ("rules", ["grace@example.org"], ["grace@example.org", "alan@example.org"]),
    ("say_unsure", ["grace@example.org"], ["grace@example.org", "alan@example.org"]),
    ("respect_privacy", ["grace@example.org"], ["ada@example.org"]),
    ("lex.truth", ["alan@example.org"], ["alan@example.org"]),
    ("lexicon", ["ada@example.org"], ["ada@example.org"]),
])
def test_owners_at_a_ref_before_and_after_an_owners_change(session, repo, key, at_v1, at_v2):
    build(repo)
    run_ingest(session, repo)
    assert emails(session, key, "v1") == at_v1
    assert emails(session, key, "v2") == at_v2 == emails(session, key)


def test_who_owns_says_where_each_owner_came_from_and_since_when(session, repo):
    build(repo)
    run_ingest(session, repo)
    result = who_owns(session, "say_unsure", resolve(session, None)).as_dict()
    assert result["id"] == "say_unsure" and result["at"]["ref"] == "main"
    assert result["owners"] == [
        {"name": "Grace Hopper", "email": "grace@example.org", "team": "safety",
         "source": "document:spec/rules.md", "since": "2024-01-03T09:00:00Z"},
        {"name": "Alan Turing", "email": "alan@example.org", "team": "safety",
         "source": "document:spec/rules.md", "since": "2024-01-04T09:00:00Z"},
    ]


def test_a_date_ref_gives_the_owners_in_force_that_day(session, repo):
    build(repo)
    run_ingest(session, repo)
    assert emails(session, "respect_privacy", "2024-01-03") == ["grace@example.org"]
    assert emails(session, "respect_privacy", "2024-01-04") == ["ada@example.org"]


def test_the_ownership_history_lists_each_change_with_its_commit(session, repo):
    shas = build(repo)
    run_ingest(session, repo)
    history = clause_ownership_history(session, "respect_privacy", resolve(session, None))
    assert [(c.commit, c.why, c.added, c.removed) for c in history] == [
        (shas[0], "Add the rules and the lexicon", (), ()),
        (shas[1], "Add OWNERS.toml", ("grace@example.org",), ()),
        (shas[2], "OWNERS: Alan joins safety; Ada takes privacy", ("ada@example.org",), ("grace@example.org",)),
    ]
    assert history[-1].owners[0].source == "explicit"


def test_an_unparseable_file_is_a_warning_and_the_previous_ownership_stays(session, repo):
    build(repo)
    bad = repo.commit("Break OWNERS", {"OWNERS.toml": OWNERS_V2 + '"be_honest" = ["ada@example.org"\n'})
    run_ingest(session, repo)
    sha, path, line, message = warnings(session)[-1]
    assert (sha, path, line) == (bad, "OWNERS.toml", len((OWNERS_V2 + "x\n").splitlines()))
    assert "does not parse" in message
    assert emails(session, "respect_privacy") == ["ada@example.org"]
    assert session.scalar(select(OwnersVersion.status).order_by(OwnersVersion.seq.desc()).limit(1)) == "invalid"


def test_an_unknown_team_is_a_warning_with_its_line_and_the_rest_still_applies(session, repo):
    build(repo)
    sha = repo.commit("Typo", {"OWNERS.toml": OWNERS_V2.replace('"lex.*" = ["alan@example.org"]',
                                                                '"lex.*" = ["team:lexicon", "ada@example.org"]')})
    run_ingest(session, repo)
    line = OWNERS_V2.splitlines().index('"lex.*" = ["alan@example.org"]') + 1
    assert (sha, "OWNERS.toml", line, "'lex.*': unknown team 'lexicon'") in warnings(session)
    assert emails(session, "lex.truth") == ["ada@example.org"]
    assert emails(session, "respect_privacy") == ["ada@example.org"]


def test_an_id_that_does_not_exist_at_that_commit_is_a_warning(session, repo):
    build(repo)
    sha = repo.commit("Name a ghost", {"OWNERS.toml": OWNERS_V2 + '"be_brief" = ["ada@example.org"]\n'
                                                      '"spec/gone.md" = ["ada@example.org"]\n"zz.*" = []\n'})
    run_ingest(session, repo)
    n = len(OWNERS_V2.splitlines())
    assert [(s, line, m) for s, _, line, m in warnings(session) if s == sha] == [
        (sha, n + 1, "no clause has the id 'be_brief' at this commit"),
        (sha, n + 2, "no spec document 'spec/gone.md' at this commit"),
        (sha, n + 3, "pattern 'zz.*' matches no clause at this commit"),
    ]


def test_deleting_the_owners_file_leaves_everything_unowned(session, repo):
    build(repo)
    repo.commit("Drop OWNERS", {"OWNERS.toml": None})
    run_ingest(session, repo)
    assert emails(session, "rules") == [] and emails(session, "rules", "v2") != []
    assert unowned(session, resolve(session, None)).share == 1.0


def test_a_renamed_document_is_unowned_until_its_entry_follows(session, repo):
    build(repo)
    renamed = repo.commit("Rename rules.md", renames={"spec/rules.md": "spec/conduct.md"})
    repo.commit("OWNERS: follow the rename", {"OWNERS.toml": OWNERS_V2.replace("spec/rules.md", "spec/conduct.md")})
    run_ingest(session, repo)
    line = OWNERS_V2.splitlines().index('"spec/rules.md" = ["team:safety"]') + 1
    assert [(s, n) for s, _, n, m in warnings(session) if "renamed to spec/conduct.md" in m] == [(renamed, line)]
    history = clause_ownership_history(session, "be_honest", resolve(session, None))
    assert [(c.why, [o.email for o in c.owners]) for c in history[-2:]] == [
        ("Rename rules.md", ["ada@example.org"]),  # falls through to "*"
        ("OWNERS: follow the rename", ["grace@example.org", "alan@example.org"]),
    ]


def test_a_document_deleted_while_named_in_owners_is_a_warning_across_runs(session, repo):
    build(repo)
    run_ingest(session, repo)
    gone = repo.commit("Drop the rules", {"spec/rules.md": None})
    run_ingest(session, repo)
    assert [(s, m.split(";")[0]) for s, _, _, m in warnings(session)] == [
        (gone, "entry 'spec/rules.md' names a document this commit deleted")]


def test_people_removed_from_the_file_are_deactivated_never_deleted(session, repo):
    build(repo)
    repo.commit("Alan leaves", {"OWNERS.toml": OWNERS_V1.replace('"alan@example.org" = "Alan Turing"\n', "")
                                .replace('"lex.*" = ["alan@example.org"]\n', "")})
    run_ingest(session, repo)
    people = {p.email: p.active for p in session.scalars(select(Person))}
    assert people == {"ada@example.org": True, "grace@example.org": True, "alan@example.org": False}
    assert emails(session, "lex.truth", "v2") == ["alan@example.org"]  # history still names him
    assert emails(session, "lex.truth") == ["ada@example.org"]


ALAN_LEAVES = OWNERS_V1.replace('"alan@example.org" = "Alan Turing"\n', "") \
    .replace('"lex.*" = ["alan@example.org"]\n', "")


def active(session) -> dict[str, bool]:
    """Every person's email and whether they are active."""
    session.expire_all()
    return {p.email: p.active for p in session.scalars(select(Person).order_by(Person.id))}


def test_an_owners_change_never_deactivates_people_with_an_account(session, repo):
    build(repo)
    run_ingest(session, repo)
    root = add_user(session, None, "root@example.org", "Root Admin", "admin", bootstrap=True)  # never in OWNERS.toml
    add_user(session, root, "alan@example.org", "Alan Turing", "editor")  # in it, then taken out
    repo.commit("Alan leaves", {"OWNERS.toml": ALAN_LEAVES})
    run_ingest(session, repo)
    assert active(session) == {"ada@example.org": True, "grace@example.org": True, "alan@example.org": True,
                               "root@example.org": True}
    repo.commit("Grace leaves too", {"OWNERS.toml": ALAN_LEAVES.replace('"grace@example.org" = "Grace Hopper"\n', "")})
    run_ingest(session, repo)
    assert active(session)["grace@example.org"] is False  # no account: the file decides
    assert active(session)["root@example.org"] is True


def test_an_account_not_the_owners_file_decides_whether_its_holder_is_active(session, repo):
    build(repo)
    repo.commit("Alan leaves", {"OWNERS.toml": ALAN_LEAVES})
    run_ingest(session, repo)
    assert active(session)["alan@example.org"] is False
    root = add_user(session, None, "root@example.org", "Root Admin", "admin", bootstrap=True)
    add_user(session, root, "alan@example.org", "Alan Turing", "editor")
    assert active(session)["alan@example.org"] is True
    disable_user(session, root, "alan@example.org")
    repo.commit("Alan is back in the file", {"OWNERS.toml": OWNERS_V2})
    run_ingest(session, repo)
    assert active(session)["alan@example.org"] is False


def test_team_membership_has_history(session, repo):
    build(repo)
    run_ingest(session, repo)
    assert [c.clause.id for c in owned_by(session, "alan@example.org", resolve(session, "v1")).clauses] == [
        "lex.truth", "lex.harm"]
    now = owned_by(session, "alan@example.org", resolve(session, None))
    assert [(c.clause.id, c.team) for c in now.clauses] == [
        ("lex.truth", None), ("lex.harm", None), ("rules", "safety"), ("be_honest", "safety"), ("say_unsure", "safety")]


def test_owned_by_a_team_lists_the_clauses_it_is_named_on(session, repo):
    build(repo)
    run_ingest(session, repo)
    result = owned_by(session, "team:safety", resolve(session, None))
    assert [c.clause.id for c in result.clauses] == ["rules", "be_honest", "say_unsure"]
    assert owned_by(session, "safety", resolve(session, None)).owner.kind == "team"


def test_owned_by_someone_unknown_is_an_error(session, repo):
    build(repo)
    run_ingest(session, repo)
    with pytest.raises(UnknownOwner):
        owned_by(session, "nobody@example.org", resolve(session, None))


def test_who_owns_a_clause_before_it_existed_is_an_error(session, repo):
    first = repo.commit("owners first", {"OWNERS.toml": OWNERS_V1})
    build(repo)
    run_ingest(session, repo)
    with pytest.raises(UnknownVersion):
        who_owns(session, "be_honest", resolve(session, first))


def test_unowned_reports_the_share_of_clauses_and_of_text(session, repo):
    repo.commit("spec", {"spec/rules.md": RULES, "spec/lexicon.md": LEX,
                         "OWNERS.toml": PEOPLE + '[owners]\n"spec/rules.md" = ["ada@example.org"]\n'})
    run_ingest(session, repo)
    result = unowned(session, resolve(session, None))
    assert [v.id for v in result.clauses] == ["lexicon", "lex.truth", "lex.harm"]
    assert (result.total, round(result.share, 2)) == (7, 0.43)
    assert 0 < result.text_share < 1


def test_a_history_rewrite_keeps_old_owners_versions_but_follows_the_new_branch(session, repo):
    shas = build(repo)
    run_ingest(session, repo)
    repo.reset(shas[1])
    repo.commit("Another OWNERS change", {"OWNERS.toml": OWNERS_V1.replace('"lex.*"', '"lex.harm"')})
    report = run_ingest(session, repo)
    assert report.rewritten
    assert emails(session, "respect_privacy") == ["grace@example.org"]
    assert emails(session, "lex.truth") == ["ada@example.org"]
    statuses = session.execute(select(OwnersVersion.seq, OwnersVersion.abandoned).order_by(OwnersVersion.id)).all()
    assert [a for _, a in statuses] == [False, True, False]


def test_a_people_entry_whose_name_could_forge_a_trailer_is_a_warning_with_its_line_and_is_skipped(session, repo):
    build(repo)
    forged = '"eve@example.org" = "Eve\\nApproved-by: Ada Byron <ada@example.org>"\n'
    text = OWNERS_V2.replace("[teams]", forged + "[teams]")
    sha = repo.commit("Add Eve", {"OWNERS.toml": text})
    run_ingest(session, repo)
    line = text.splitlines().index(forged.strip()) + 1
    [(path, at, message)] = [(p, n, m) for s, p, n, m in warnings(session) if s == sha]
    assert (path, at) == ("OWNERS.toml", line) and "may not contain a line break" in message
    assert session.scalar(select(Person).where(Person.email == "eve@example.org")) is None
    assert emails(session, "respect_privacy") == ["ada@example.org"]
