import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import diagrams  # noqa: E402


def test_the_committed_diagrams_match_a_fresh_rendering():
    assert diagrams.main(["--check"]) == 0, "run python tools/diagrams.py and commit chapters/figures/"


def test_the_rendering_is_the_same_on_every_run():
    assert diagrams.render(diagrams.simclr) == diagrams.render(diagrams.simclr)


def test_the_check_notices_a_stale_or_missing_diagram(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(diagrams, "OUT", tmp_path)
    assert diagrams.main([]) == 0
    (tmp_path / "moco.svg").write_text("<svg/>")
    (tmp_path / "skipgram.svg").unlink()
    assert diagrams.main(["--check"]) == 1
    assert "stale: skipgram.svg, moco.svg" in capsys.readouterr().err


def test_every_diagram_is_used_in_the_book_with_alt_text():
    pages = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "chapters").rglob("*.ipynb"))
    for name in diagrams.DIAGRAMS:
        assert f"figures/{name}.svg" in pages, f"{name}.svg is drawn but not shown"
    assert pages.count(":alt:") >= len(diagrams.DIAGRAMS)
