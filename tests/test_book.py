"""The book as a whole: table of contents, notebooks, Colab set-up, references
and the built site.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from sslbook.glue import CALL_COMPANIONS

from nbtools import SETUP_TAG, colab_setup_source, repository

pytestmark = pytest.mark.book

NOTEBOOKS = sorted(
    p
    for p in (ROOT / "chapters").rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)


def source_of(stem: str) -> Path:
    """The file behind a _toc.yml entry, whatever its suffix."""
    matches = [
        ROOT / f"{stem}{suffix}"
        for suffix in (".ipynb", ".md")
        if (ROOT / f"{stem}{suffix}").exists()
    ]
    assert len(matches) == 1, (
        f"_toc.yml entry {stem!r} must match exactly one .ipynb or .md file, "
        f"found {matches}"
    )
    return matches[0]


def test_toc_has_six_numbered_chapters_in_source_order(toc_files):
    chapters = [
        f
        for f in toc_files
        if re.fullmatch(r"chapters/0\d_[a-z_]+(/index)?", f)
    ]
    assert [re.match(r"chapters/(0\d)", f).group(1) for f in chapters] == [
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
    ]
    for stem in toc_files:
        source_of(stem)
    assert {"appendix/glossary", "appendix/bibliography"} <= set(toc_files)


def test_every_notebook_is_in_the_toc(toc_files):
    listed = {source_of(stem) for stem in toc_files}
    assert set(NOTEBOOKS) <= listed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_with_the_hidden_colab_cell(path):
    nb = nbformat.read(path, as_version=4)
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert first.source == colab_setup_source(*repository()), (
        "regenerate it with tools/nbtools.py"
    )
    assert SETUP_TAG in first.metadata.get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_executed_in_order_without_stderr(path):
    nb = nbformat.read(path, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(
        range(1, len(code) + 1)
    )
    for cell in code:
        for output in cell.outputs:
            assert output.output_type != "error", (
                f"stored error in {cell.source[:60]!r}"
            )
            is_stderr = (
                output.output_type == "stream" and output.name == "stderr"
            )
            assert not is_stderr, (
                f"stderr stored for {cell.source[:60]!r}: "
                f"{output.text[:200]!r}"
            )
        # cell timings (nbtools.execute_notebook(record_timing=True)) belong
        # in copies, not in the stored notebook: they change at every run
        assert "execution" not in cell.metadata, (
            f"timestamps stored for {cell.source[:60]!r}"
        )


def run_setup_cell(
    monkeypatch, tmp_path, in_colab: bool, pip_fails: bool = False
) -> list[list[str]]:
    """Execute the Colab cell as a kernel would, with pip replaced; return the
    commands it ran.
    """
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        assert kwargs.get("capture_output") and kwargs.get("text"), (
            "the cell must capture pip's output to show it"
        )
        return subprocess.CompletedProcess(
            cmd,
            1 if pip_fails else 0,
            "",
            "ERROR: Repository not found." if pip_fails else "",
        )

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.delitem(sys.modules, "google", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    if in_colab:
        package = tmp_path / "google" / "colab"
        package.mkdir(parents=True)
        (tmp_path / "google" / "__init__.py").write_text("")
        (package / "__init__.py").write_text("")
        monkeypatch.syspath_prepend(str(tmp_path))
    exec(colab_setup_source(*repository()), {})
    return calls


def test_colab_cell_installs_sslbook_at_the_configured_release_in_colab(
    monkeypatch, tmp_path, book_config
):
    calls = run_setup_cell(monkeypatch, tmp_path, in_colab=True)
    url, ref = (
        book_config["repository"]["url"],
        book_config["repository"]["branch"],
    )
    assert ref != "main", (
        "the set-up cell must install a release, not whatever main is today"
    )
    assert calls == [
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            f"sslbook[notebooks] @ git+{url}@{ref}",
        ]
    ]


def test_colab_cell_shows_pips_error_when_the_install_fails(
    monkeypatch, tmp_path
):
    with pytest.raises(
        RuntimeError,
        match=(
            r"(?s)pip could not install sslbook\[notebooks\] @ "
            r".*Repository not found.*Check that"
        ),
    ):
        run_setup_cell(monkeypatch, tmp_path, in_colab=True, pip_fails=True)


def test_colab_cell_does_nothing_elsewhere(monkeypatch, tmp_path):
    assert run_setup_cell(monkeypatch, tmp_path, in_colab=False) == []


def test_set_repo_points_config_notebooks_and_readme_at_another_repository(
    tmp_path,
):
    from nbtools import set_repository, website

    for name in ("_config.yml", "README.md"):
        (tmp_path / name).write_text(
            (ROOT / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    book = tmp_path / "chapters"
    book.mkdir()
    for path in NOTEBOOKS[:2]:
        (book / path.name).write_bytes(path.read_bytes())
    old_url, _ = repository()
    changed = set_repository(
        "https://github.com/someone/ssl-fork", "v2.0", root=tmp_path
    )
    assert repository(tmp_path) == (
        "https://github.com/someone/ssl-fork",
        "v2.0",
    )
    assert (
        website(tmp_path) == "https://someone.github.io/ssl-fork/"
    )  # the fork's GitHub Pages
    config = (tmp_path / "_config.yml").read_text(encoding="utf-8")
    assert (
        "# The one place that holds the repository's address" in config
    )  # comments kept
    for path in book.glob("*.ipynb"):
        first = next(
            c
            for c in nbformat.read(path, as_version=4).cells
            if c.cell_type == "code"
        )
        assert first.source == colab_setup_source(
            "https://github.com/someone/ssl-fork", "v2.0"
        )
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert (
        old_url not in readme
        and "https://github.com/someone/ssl-fork" in readme
    )
    assert set(changed) == {
        tmp_path / "_config.yml",
        tmp_path / "README.md",
        *book.glob("*.ipynb"),
    }
    set_repository(
        "https://github.com/someone/ssl-fork",
        "v2.0",
        root=tmp_path,
        site="https://ssl.example.org/book",
    )
    assert website(tmp_path) == "https://ssl.example.org/book/"
    set_repository(
        "https://github.com/someone/ssl-fork", "v2.1", root=tmp_path
    )  # a new release only
    assert (
        website(tmp_path) == "https://ssl.example.org/book/"
        and repository(tmp_path)[1] == "v2.1"
    )
    set_repository(
        "https://github.com/someone/someone.github.io", "v1", root=tmp_path
    )
    assert website(tmp_path) == "https://someone.github.io/"
    with pytest.raises(ValueError, match="site must be"):
        set_repository(
            "https://github.com/a/b",
            "v1",
            root=tmp_path,
            site="javascript:alert(1)",
        )
    with pytest.raises(ValueError, match="GitHub repository's address"):
        set_repository("https://gitlab.com/a/b", "v1", root=tmp_path)
    with pytest.raises(ValueError, match="ref must be"):
        set_repository("https://github.com/a/b", "v1; rm -rf /", root=tmp_path)


def test_repository_url_lives_in_config_only(book_config):
    url = book_config["repository"]["url"]
    assert (
        book_config["launch_buttons"]["colab_url"]
        == "https://colab.research.google.com"
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for found in re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", readme):
        assert found == url, (
            f"README names {found}, but _config.yml's repository.url is {url}"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_the_page(path):
    """The website shows about 80 characters of code; PEP 8's 79 keeps every
    line whole.
    """
    cells = nbformat.read(path, as_version=4).cells
    wide = [
        line
        for cell in cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if len(line) > 79
    ]
    assert not wide, (
        f"{len(wide)} code lines wider than 79 characters, e.g. {wide[0]!r}"
    )


def result_figures(cells) -> list[tuple[dict, int]]:
    """(figure options, number of display outputs) of every code cell whose
    output includes an image.
    """
    found = []
    for cell in cells:
        if cell.cell_type != "code":
            continue
        shown = [
            o
            for o in cell.outputs
            if o.output_type in ("display_data", "execute_result")
        ]
        if any(
            key.startswith("image/")
            for o in shown
            for key in o.get("data", {})
        ):
            found.append(
                (cell.metadata.get("mystnb", {}).get("figure", {}), len(shown))
            )
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_result_figure_is_numbered_captioned_and_referenced(path):
    """A plot is a numbered figure with a caption (myst-nb's cell-level figure
    options), and the text refers to it.
    """
    cells = nbformat.read(path, as_version=4).cells
    prose = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    for options, outputs in result_figures(cells):
        assert options.get("name", "").startswith("fig-") and options.get(
            "caption"
        ), f"a figure in {path.name} lacks a name or caption"
        assert outputs == 1, (
            f"{options['name']}: the cell must show one output, "
            "or every output becomes the same figure"
        )
        assert f"{{numref}}`{options['name']}`" in prose, (
            f"{options['name']} is never referred to in {path.name}"
        )


def site_only_macros(config: dict) -> set[str]:
    """TeX macros that _config.yml defines for MathJax on the website, which
    Jupyter and Colab do not know.
    """
    mathjax = (
        config.get("sphinx", {}).get("config", {}).get("mathjax3_config", {})
        or {}
    )
    return set((mathjax.get("tex", {}) or {}).get("macros", {}) or {})


def uses_macro(text: str, name: str) -> bool:
    return re.search(rf"\\{re.escape(name)}(?![A-Za-z])", text) is not None


def test_the_macro_check_finds_a_site_only_macro():
    config = {
        "sphinx": {
            "config": {
                "mathjax3_config": {"tex": {"macros": {"R": "\\mathbb{R}"}}}
            }
        }
    }
    assert site_only_macros(config) == {"R"} and site_only_macros({}) == set()
    assert uses_macro("$x \\in \\R^d$", "R") and not uses_macro(
        "$a \\Rightarrow b$, $\\mathbb{R}$", "R"
    )


def test_no_page_uses_a_macro_defined_only_for_the_site(
    book_config, toc_files
):
    """Maths must render in Jupyter and Colab too, which never read
    _config.yml.
    """
    macros = site_only_macros(book_config) | {
        "R"
    }  # \R was such a macro until the notation issue
    for stem in toc_files:
        path = source_of(stem)
        if path.suffix == ".ipynb":
            text = "\n".join(
                c.source
                for c in nbformat.read(path, as_version=4).cells
                if c.cell_type == "markdown"
            )
        else:
            text = path.read_text(encoding="utf-8")
        used = {name for name in macros if uses_macro(text, name)}
        assert not used, (
            f"{stem} uses {sorted(used)}, defined only in _config.yml; "
            "write them out"
        )


def test_every_reference_is_cited_and_every_citation_exists():
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    entries = set(re.findall(r"^@\w+\{([^,]+),", bib, flags=re.M))
    pages = [
        p
        for p in ROOT.rglob("*")
        if p.suffix in {".md", ".ipynb"}
        and not {".venv", "_build"} & set(p.parts)
    ]
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    cited = {
        key.strip()
        for keys in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text)
        for key in keys.split(",")
    }
    assert cited - entries == set(), "cited but missing from references.bib"
    assert entries - cited == set(), "in references.bib but cited nowhere"


def test_site_builds_without_warnings(site):
    warnings = [
        line
        for line in site.log.splitlines()
        if "WARNING" in line or "ERROR" in line
    ]
    assert site.returncode == 0 and not warnings, (
        "\n".join(warnings) or site.log[-3000:]
    )


def test_every_toc_page_is_in_the_site(site, toc_files):
    missing = [
        stem
        for stem in toc_files
        if not (site.html / f"{stem}.html").is_file()
    ]
    assert not missing


def test_notebook_pages_have_a_colab_button_to_their_own_edition(
    site, book_config
):
    url, branch = (
        book_config["repository"]["url"],
        book_config["repository"]["branch"],
    )
    repo = url.removeprefix("https://github.com/")
    for path in NOTEBOOKS:
        rel = path.relative_to(ROOT).as_posix()
        page = (
            (site.html / rel).with_suffix(".html").read_text(encoding="utf-8")
        )
        assert (
            f"https://colab.research.google.com/github/{repo}/blob/{branch}/editions/en/{rel}"
            in page
        )
        assert (ROOT / "editions" / "en" / rel).is_file()


def test_glued_numbers_are_pasted_into_the_prose(site):
    page = (site.html / "chapters" / "01_background.html").read_text(
        encoding="utf-8"
    )
    pasted = re.findall(r'class="pasted-text">([^<]+)<', page)
    assert len(pasted) >= 6
    numbers = [
        value
        for value in pasted
        if re.fullmatch(r"-?[\d.]+(e[+-]\d+)?", value)
    ]
    verdicts = [
        value
        for value in pasted
        if re.fullmatch(
            r".+ (is ahead of .+|and .+ are within ±[0-9.]+"
            r"|against .+ is inconclusive with \d+ seeds)",
            html.unescape(value),
        )
    ]
    assert len(numbers) >= 6 and len(numbers) + len(verdicts) == len(pasted), (
        pasted
    )  # no repr quotes, no raw objects
    notebook = json.loads(
        (ROOT / "chapters" / "01_background.ipynb").read_text(encoding="utf-8")
    )
    glued = {
        out["metadata"]["scrapbook"]["name"]
        for cell in notebook["cells"]
        for out in cell.get("outputs", [])
        if "scrapbook" in out.get("metadata", {})
    }
    assert {"ch1_grad_ratio_first_last"} <= glued


def glued_keys(notebook: Path) -> set[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return {
        out["metadata"]["scrapbook"]["name"]
        for cell in cells
        for out in cell.get("outputs", [])
        if "scrapbook" in out.get("metadata", {})
    }


# Glue keys that the issues name, by notebook: other checks and readers rely on
# them.
NAMED_GLUE_KEYS = {
    "chapters/03_algorithms/03_3_contrastive.ipynb": {
        "contrastive_tau_selected"
    },
    "chapters/04_code/04_1_word2vec.ipynb": {
        "w2v_ws353_spearman",
        "w2v_ws353_oov_pct",
        "w2v_simlex_spearman",
        "w2v_analogy_acc",
        "w2v_tokens",
    },
    "chapters/03_algorithms/03_2_autoencoders.ipynb": {
        "ae_linear_pca_max_angle_deg"
    },
    "chapters/04_code/04_2_autoencoder.ipynb": {
        "ae_test_mse",
        "pca_test_mse",
        "ae_latent_dim",
        "ae_probe_acc_10",
    },
    "chapters/04_code/04_3_simclr.ipynb": {
        "simclr_probe_acc_1",
        "simclr_probe_acc_10",
        "simclr_probe_acc_100",
        "raw_probe_acc_10",
        "random_probe_acc_10",
        "supervised_acc_10",
        "simclr_knn_acc",
        "simclr_probe_acc_10_sd",
        "supervised_acc_10_sd",
        "simclr_seeds",
    },
    "chapters/05_future/05_1_efficiency.ipynb": {"moco_queue_fraction"},
    "chapters/05_future/05_2_masked_modelling.ipynb": {
        "mae_probe_acc_10",
        "mae_finetune_acc_10",
        "mae_raw_probe_acc_10",
        "mae_random_probe_acc_10",
    },
    "chapters/05_future/05_3_masked_language.ipynb": {
        "mlm_masked_acc",
        "mlm_unigram_acc",
        "mlm_ws353_spearman",
        "mlm_context_gain_points",
    },
    "chapters/05_future/05_4_without_negatives.ipynb": {
        "byol_probe_acc_10",
        "byol_ablation_std_m0",
        "byol_ablation_std_m09",
        "byol_ablation_std_m099",
        "byol_ablation_std_m1",
    },
    "chapters/05_future/05_6_other_domains.ipynb": {
        "tabular_ssl_probe_acc",
        "tabular_raw_probe_acc",
    },
    "chapters/05_future/05_7_fusion_and_overfitting.ipynb": {
        "overfit_gap_supervised",
        "overfit_gap_ssl",
    },
    "chapters/06_faq.ipynb": {
        "faq_acc_sigmoid_random",
        "faq_acc_sigmoid_pretrained",
        "faq_acc_relu_he",
        "faq_grad_ratio_random",
        "faq_grad_ratio_pretrained",
        "faq_acc_sigmoid_pretrained_sd",
        "faq_acc_relu_he_sd",
    },
}


def glued_values(notebook: Path) -> dict[str, str]:
    """``{glue key: its text/plain value}`` of a notebook's stored outputs."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return {
        out["metadata"]["scrapbook"]["name"]: out["data"][
            "application/papermill.record/text/plain"
        ]
        for cell in cells
        for out in cell.get("outputs", [])
        if "scrapbook" in out.get("metadata", {})
    }


def test_simclr_uses_the_temperature_chosen_on_validation_in_3_3():
    """4.3 trains with the τ that 3.3 chose on validation (a constant in its
    code, which must follow 3.3).
    """
    chosen = float(
        glued_values(ROOT / "chapters/03_algorithms/03_3_contrastive.ipynb")[
            "contrastive_tau_selected"
        ]
    )
    nb = nbformat.read(
        ROOT / "chapters/04_code/04_3_simclr.ipynb", as_version=4
    )
    found = [
        float(m.group(1))
        for cell in nb.cells
        if cell.cell_type == "code"
        for m in [
            re.search(r"^temperature = ([\d.]+)", cell.source, flags=re.M)
        ]
        if m
    ]
    assert found == [chosen], (
        f"04_3 sets temperature = {found}, but 3.3 chose {chosen}"
    )


def test_masked_language_uses_the_word2vec_settings_chosen_in_4_1():
    """5.3's Word2Vec baseline keeps the architecture and window that 4.1 chose
    on the development pairs (constants in its code).
    """
    chosen = glued_values(ROOT / "chapters/04_code/04_1_word2vec.ipynb")[
        "w2v_chosen_settings"
    ].strip("'\"")
    chosen = ", ".join(
        chosen.split(", ")[:2]
    )  # architecture and window; 5.3 sets its own epochs
    nb = nbformat.read(
        ROOT / "chapters/05_future/05_3_masked_language.ipynb", as_version=4
    )
    code = "\n".join(
        cell.source for cell in nb.cells if cell.cell_type == "code"
    )
    calls = re.findall(r"Word2Vec\((.*?)\n\s*\)", code, flags=re.S)
    assert calls, "5.3 trains no Word2Vec"
    for call in calls:
        sg, window = (
            re.search(r"sg=(\d)", call),
            re.search(r"window=(\d+)", call),
        )
        assert sg and window, (
            f"5.3 leaves a Word2Vec setting to gensim's default: {call}"
        )
        used = (
            f"{'skip-gram' if sg.group(1) == '1' else 'CBOW'}, "
            f"window {window.group(1)}"
        )
        assert used == chosen, f"5.3 trains {used}, but 4.1 chose {chosen}"


def test_glued_verdicts_come_from_the_books_rule():
    """Every glued verdict is one of the rule's four calls
    (sslbook.evaluate.Comparison.text), glued with its interval and seeds.
    """
    verdicts = {}
    for notebook in NOTEBOOKS:
        for key, value in glued_values(notebook).items():
            if "verdict" in key and not key.endswith(CALL_COMPANIONS):
                verdicts[f"{notebook.name}::{key}"] = value
    assert len(verdicts) >= 20
    bad = {
        k: v
        for k, v in verdicts.items()
        if not re.fullmatch(
            r"['\"].+ (is ahead of .+|and .+ are within ±[0-9.]+"
            r"|against .+ is inconclusive with \d+ seeds)['\"]",
            v,
        )
    }
    assert not bad
    for notebook in NOTEBOOKS:
        keys = set(glued_values(notebook))
        for key in (
            k.split("::")[1]
            for k in verdicts
            if k.startswith(f"{notebook.name}::")
        ):
            assert {key + suffix for suffix in CALL_COMPANIONS} <= keys, (
                f"{notebook.name}: {key} without its interval"
            )


def test_every_compared_arm_has_a_chinese_name():
    """The Chinese twin of a call (key_zh) names both arms in Chinese:
    sslbook.zh knows every arm the book compares.
    """
    from sslbook.zh import has_name_zh

    from nbcheck import literal, parse_call

    missing = set()
    for notebook in NOTEBOOKS:
        for key, value in glued_values(notebook).items():
            if "verdict" in key and not key.endswith(CALL_COMPANIONS):
                call = parse_call(str(literal(value)))
                missing |= {
                    name for name in (call.a, call.b) if not has_name_zh(name)
                }
    assert not missing, f"add to sslbook.zh.NAMES: {sorted(missing)}"


@pytest.mark.parametrize("notebook", sorted(NAMED_GLUE_KEYS))
def test_named_glue_keys_are_glued(notebook):
    assert NAMED_GLUE_KEYS[notebook] - glued_keys(ROOT / notebook) == set()


def test_execution_report_has_the_execution_table(site):
    page = (site.html / "appendix" / "execution.html").read_text(
        encoding="utf-8"
    )
    assert "Run Time (s)" in page and "<table" in page


# A call of the book's rule written by hand instead of pasted from the
# notebook's own measurement: the words of the rule (old and new) outside
# glue roles, code and maths. The protocol page defines the words, so it is
# not scanned; every other page must paste its calls.
HAND_CALL = re.compile(
    r"\b(?:beats?|beaten|tie[sd]?|is ahead of|are ahead of|ahead of [A-Z]"
    r"|within ±|inconclusive"
    r"|outperform(?:s|ed)?|does (?:worse|better) than"
    r"|do (?:worse|better) than)\b"
)
# Sentences that use the words without calling a measurement of this book, each
# with its reason.
HAND_CALL_ALLOWED = {
    "a tied output layer": "weight tying in 5.3, not a call",
    "the output layer is tied": "weight tying in 5.3, not a call",
    '"inconclusive" means "not shown", not "equal"': (
        "explains the rule's word in an exercise"
    ),
    "calls two methods within ±m": "states the rule (5.7's pitfalls)",
    'when can it say "within ±m"': "asks about the rule (FAQ exercise)",
    "can stay inconclusive": "explains the rule (4.3's exercise)",
    "says that the comparison is inconclusive": (
        "states the rule (5.7's pitfalls)"
    ),
    "Where a call is inconclusive": "explains the rule's word",
    "only called within ±0.02": "explains the margin (FAQ exercise)",
    "the baseline to beat": "names a baseline, calls nothing",
    "a masked language model must beat": "names a baseline, calls nothing",
    "no linear autoencoder does better than": (
        "a theorem (Eckart–Young), not a measurement"
    ),
}


def prose_without_pasted_values(text: str) -> str:
    """Markdown prose with glue roles, citations, links, inline code and maths
    removed.
    """
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    text = re.sub(
        r"\{[a-z:]+\}`[^`]*`", " ", text
    )  # roles: glue, cite, doc, numref
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", text, flags=re.DOTALL)
    for allowed in HAND_CALL_ALLOWED:
        text = text.replace(allowed, " ")
    return text


def hand_written_calls(text: str) -> list[str]:
    """The sentences of ``text`` that word a call by hand."""
    prose = prose_without_pasted_values(text)
    return [
        s.strip()
        for s in re.split(r"(?<=[.!?])\s+", prose)
        if HAND_CALL.search(s)
    ]


def test_the_hand_written_call_check_finds_one():
    assert (
        hand_written_calls(
            "By the book's rule, {glue:text}`simclr_verdict_raw_10`."
        )
        == []
    )
    assert hand_written_calls("Here SimCLR beats the supervised CNN.") == [
        "Here SimCLR beats the supervised CNN."
    ]
    assert hand_written_calls("The two tie, as the rule says.")
    assert hand_written_calls("So MoCo is ahead of SimCLR.")
    assert hand_written_calls("With 100 labels the result is inconclusive.")
    assert (
        hand_written_calls(
            "The code sets `beats = 1` and $a \\text{ ties } b$."
        )
        == []
    )
    assert hand_written_calls("It uses a tied output layer.") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_call_is_written_by_hand(path):
    """Every call in the prose is pasted from the notebook's measurement
    (sslbook.glue.glue_call).
    """
    nb = nbformat.read(path, as_version=4)
    found = [
        s
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for s in hand_written_calls(cell.source)
    ]
    assert not found, "\n".join(found)


def test_cell_times_reads_each_executed_cells_duration(tmp_path):
    from nbtools import cell_times, times_table

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# T"),
        nbformat.v4.new_code_cell("# a comment\nfit(model)"),
        nbformat.v4.new_code_cell("x = 1"),
    ]
    nb.cells[1].metadata["execution"] = {
        "iopub.execute_input": "2026-12-05T03:00:00.000000Z",
        "shell.execute_reply": "2026-12-05T03:00:12.500000Z",
    }
    nb.cells[2].metadata["execution"] = {
        "iopub.execute_input": "2026-12-05T03:00:12.600000Z",
        "shell.execute_reply": "2026-12-05T03:00:12.700000Z",
    }
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    assert [(i, round(t, 3), first) for i, t, first in cell_times(path)] == [
        (1, 12.5, "fit(model)"),
        (2, 0.1, "x = 1"),
    ]
    assert (
        "| t.ipynb | 12.6 | 1: 12.5 `fit(model)`; 2: 0.1 `x = 1` |"
        in times_table([path])
    )
    nb.cells[1].metadata.pop("execution")
    nb.cells[2].metadata.pop("execution")
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="no cell timing"):
        times_table([path])


ASSIGNED_EPOCHS = r"^epochs = (\d+)$"
TRAINING_BUDGETS = [
    # (notebook, where its code sets the epochs, its prose, the protocol page's
    # row, the Chinese page's words, the Chinese protocol row)
    (
        "chapters/02_core_concepts.ipynb",
        ASSIGNED_EPOCHS,
        "{n} epochs of SGD",
        "| {n} epochs of SGD",
        "训练 {n} 轮。",
        "| {n} 轮 SGD",
    ),
    (
        "chapters/06_faq.ipynb",
        ASSIGNED_EPOCHS,
        "{n} epochs of SGD",
        "and {n} of fine-tuning (SGD",
        "{n} 轮带动量 0.9 的 SGD",
        "以及 {n} 轮微调",
    ),
    # 5.2's and 5.7's SimCLR arms: the epochs of the fit(...) inside the
    # function that pre-trains them
    (
        "chapters/05_future/05_2_masked_modelling.ipynb",
        r"^def simclr_encoder\(.*?^\s+epochs=(\d+),",
        "but for {n} epochs, as in",
        "but {n} epochs, as in 5.7",
        "但只训练 {n} 轮，与",
        "但与 5.7 一样训练 {n} 轮",
    ),
    (
        "chapters/05_future/05_7_fusion_and_overfitting.ipynb",
        r"^def pretrain\(.*?^\s+epochs=(\d+),",
        "encoders pre-trained for {n} epochs",
        "as in 4.3 but {n} epochs",
        "编码器预训练 {n} 轮时",
        "但训练 {n} 轮",
    ),
]


@pytest.mark.parametrize(
    "notebook, code_pattern, prose, protocol, chinese, chinese_protocol",
    TRAINING_BUDGETS,
    ids=lambda v: Path(v).stem if v.endswith(".ipynb") else None,
)
def test_the_prose_states_the_epochs_that_the_code_trains(
    notebook, code_pattern, prose, protocol, chinese, chinese_protocol
):
    """Training budgets written in words must be the epochs of the code (in
    02 and the FAQ `epochs = N`; in 5.2 and 5.7 the SimCLR arm's `epochs=N`),
    on every page that says them.
    """
    nb = nbformat.read(ROOT / notebook, as_version=4)
    code = "\n".join(
        cell.source for cell in nb.cells if cell.cell_type == "code"
    )
    assigned = re.findall(code_pattern, code, flags=re.M | re.S)
    assert len(assigned) == 1, (
        f"{notebook}: expected one match of {code_pattern!r}, found {assigned}"
    )
    n = assigned[0]

    def says(
        text: str, words: str
    ) -> bool:  # the number not preceded by a digit: 6 must not match 16
        return (
            re.search(r"(?<!\d)" + re.escape(words.format(n=n)), text)
            is not None
        )

    text = "\n".join(
        cell.source for cell in nb.cells if cell.cell_type == "markdown"
    )
    assert says(text, prose), (
        f"{notebook} trains {n} epochs but its text does not say "
        f"{prose.format(n=n)!r}"
    )
    stem = Path(notebook).stem
    row = next(
        line
        for line in (ROOT / "appendix/protocol.md").read_text().splitlines()
        if stem in line and line.startswith("|")
    )
    assert says(row, protocol), (
        f"the protocol page's row for {notebook} does not say "
        f"{protocol.format(n=n)!r}"
    )
    store = (
        (ROOT / "i18n/zh" / notebook)
        .with_suffix(".yml")
        .read_text(encoding="utf-8")
    )
    assert says(store, chinese), (
        f"the Chinese {notebook} does not say {chinese.format(n=n)!r}"
    )
    zh_rows = (
        (ROOT / "i18n/zh/appendix/protocol.yml")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    zh_row = next(
        line
        for line in zh_rows
        if stem in line
        and line.strip().startswith("|")
        and re.search("[\u4e00-\u9fff]", line)
    )  # Chinese, not the English row (× is not ASCII)
    assert says(zh_row, chinese_protocol), (
        f"the Chinese protocol row for {notebook} does not say "
        f"{chinese_protocol.format(n=n)!r}"
    )
