"""Paper export: methods paragraphs in Russian and English from the study's parameters, every
citation in the BibTeX file, the APA tables and the 300-dpi figures."""
import re

from PIL import Image

from shnro_research.pipeline import read_table, stage_dir
from shnro_research.report.paper import REFERENCES


def test_paper_folder_has_methods_bib_tables_and_figures(demo_run):
    study, _ = demo_run
    paper = stage_dir(study, "report") / "paper"
    ru = (paper / "methods_ru.md").read_text(encoding="utf-8")
    en = (paper / "methods_en.md").read_text(encoding="utf-8")
    bib = (paper / "references.bib").read_text(encoding="utf-8")
    cited = set(re.findall(r"\[@([a-z0-9]+)\]", ru + en))
    assert cited and cited <= set(REFERENCES)
    for key in cited:
        assert f"{{{key}," in bib
    assert "авторские, без опубликованных норм" in ru and "project-authored" in en
    for name in ("reliability", "results_model", "tension_by_group"):
        assert (paper / f"{name}.docx").exists() and (paper / f"{name}.tex").exists()
    png = Image.open(paper / "results_vs_context.png")
    assert round(png.info["dpi"][0]) == 300
    assert (paper / "results_vs_context.pdf").exists()


def test_methods_quote_the_study_as_run(demo_run):
    study, _ = demo_run
    paper = stage_dir(study, "report") / "paper"
    ru = (paper / "methods_ru.md").read_text(encoding="utf-8")
    counts = read_table(study, "responses", "row_counts")
    assert f"учащиеся — {int(counts[counts.group == 'students'].clean_rows.sum())}" in ru
    assert f"в {len(study.waves)} волнах" in ru
    assert "Ячейки менее 5 респондентов не публикуются" in ru
