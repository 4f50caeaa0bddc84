import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import diagrams  # noqa: E402

needs_chinese_font = pytest.mark.skipif(
    not diagrams.has_chinese_font(),
    reason=(
        f"the Chinese diagrams need {diagrams.CJK_FONT} "
        "(Debian's fonts-wqy-microhei, which make test installs)"
    ),
)


@pytest.mark.parametrize(
    "lang", ["en", pytest.param("zh", marks=needs_chinese_font)]
)
def test_the_committed_diagrams_match_a_fresh_rendering(lang):
    assert diagrams.stale(lang) == [], (
        "run python tools/diagrams.py "
        "and commit chapters/figures/ and i18n/zh/figures/"
    )


@pytest.mark.parametrize(
    "lang", ["en", pytest.param("zh", marks=needs_chinese_font)]
)
def test_the_rendering_is_the_same_on_every_run(lang):
    assert diagrams.render(diagrams.simclr, lang) == diagrams.render(
        diagrams.simclr, lang
    )


@needs_chinese_font
def test_the_chinese_diagrams_have_chinese_labels_and_no_english_one():
    english, chinese = (
        diagrams.render(diagrams.moco, "en"),
        diagrams.render(diagrams.moco, "zh"),
    )
    assert english != chinese
    labels = []
    for make in diagrams.DIAGRAMS.values():
        make(lambda label: labels.append(label) or label)
    assert set(labels) <= set(diagrams.ZH)  # every label drawn has its Chinese
    with pytest.raises(KeyError, match="no Chinese"):
        diagrams.chinese("a label nobody translated")


@needs_chinese_font
def test_the_check_notices_a_stale_or_missing_diagram(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(diagrams, "ROOT", tmp_path)
    monkeypatch.setattr(diagrams, "OUT", tmp_path / "en")
    monkeypatch.setattr(diagrams, "OUT_ZH", tmp_path / "zh")
    assert diagrams.main([]) == 0
    (tmp_path / "en" / "moco.svg").write_text("<svg/>")
    (tmp_path / "zh" / "skipgram.svg").unlink()
    assert diagrams.main(["--check"]) == 1
    assert "stale: en/moco.svg, zh/skipgram.svg" in capsys.readouterr().err


def test_the_chinese_book_shows_the_chinese_diagrams():
    for name in diagrams.DIAGRAMS:
        zh = (
            ROOT / "zh" / "chapters" / "figures" / f"{name}.svg"
        ).read_bytes()
        assert (
            zh
            == (ROOT / "i18n" / "zh" / "figures" / f"{name}.svg").read_bytes()
        )
        assert (
            zh != (ROOT / "chapters" / "figures" / f"{name}.svg").read_bytes()
        )


def test_every_diagram_is_used_in_the_book_with_alt_text():
    pages = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (ROOT / "chapters").rglob("*.ipynb")
    )
    for name in diagrams.DIAGRAMS:
        assert f"figures/{name}.svg" in pages, (
            f"{name}.svg is drawn but not shown"
        )
    assert pages.count(":alt:") >= len(diagrams.DIAGRAMS)
