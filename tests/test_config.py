"""The study config is checked when it is loaded: every key, type and range; typos and duplicate
keys refused with the key path and "did you mean"; files must exist; output stays inside the
study folder; docs/CONFIG.md lists every key the schema knows."""
from pathlib import Path

import pytest

from shnro_research.config import load_study
from shnro_research.config_schema import StudyConfig, parse_config
from shnro_research.errors import ConfigError

TYPOS = [
    ("respones: {}", "respones: unknown key; did you mean 'responses'"),
    ("validaton: {}", "validaton: unknown key; did you mean 'validation'"),
    ("report: {min_cel: 3}", "report.min_cel: unknown key; did you mean 'min_cell'"),
    ("typology: {residual_sdd: 1.5}", "typology.residual_sdd: unknown key; did you mean 'residual_sd'"),
    ("design: {lonely_pus: fail}", "design.lonely_pus: unknown key; did you mean 'lonely_psu'"),
    ("responses: {students: {2022: {file: a.sav, encodng: cp1251}}}",
     "responses.students.2022.encodng: unknown key; did you mean 'encoding'"),
]


@pytest.mark.parametrize("text,message", TYPOS)
def test_typos_are_refused_with_did_you_mean(text, message):
    with pytest.raises(ConfigError) as exc:
        parse_config(text + "\n")
    assert message in str(exc.value)


@pytest.mark.parametrize("text,key", [
    ("study: {lang: de}", "study.lang"),
    ("study: {seed: 1.5}", "study.seed"),
    ("report: {min_cell: 0}", "report.min_cell"),
    ("typology: {residual_sd: -1}", "typology.residual_sd"),
    ("typology: {context_quantile: 1.5}", "typology.context_quantile"),
    ("typology: {resilience_rules: [quadrant, magic]}", "typology.resilience_rules.1"),
    ("dynamics: {adjust: tukey}", "dynamics.adjust"),
    ("scoring: {tension_thresholds: [50, 25, 75]}", "scoring.tension_thresholds"),
    ("responses: {student: {}}", "responses.student"),
    ("responses: {students: {2022: {file: a.sav, encoding: cp9999}}}", "responses.students.2022.encoding"),
    ("responses: {students: {2022: {file: a.sav, decimal: ';'}}}", "responses.students.2022.decimal"),
    ("responses: {students: {2022: {file: a.sav, format: csv}}}", "responses.students.2022"),
])
def test_values_out_of_range_name_the_key(text, key):
    with pytest.raises(ConfigError, match=rf"{key.replace('.', '[.]')}\b"):
        parse_config(text + "\n")


def test_duplicate_keys_are_refused():
    with pytest.raises(ConfigError, match="'report' is given twice"):
        parse_config("report: {min_cell: 5}\nreport: {min_cell: 3}\n")
    with pytest.raises(ConfigError, match="'min_cell' is given twice"):
        parse_config("report:\n  min_cell: 5\n  min_cell: 3\n")


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as exc:
        parse_config("respones: {}\nreport: {min_cel: 3}\nstudy: {lang: de}\n")
    text = str(exc.value)
    assert "respones" in text and "min_cel" in text and "study.lang" in text


def test_output_must_stay_in_the_study_folder(tmp_path):
    (tmp_path / "study.yaml").write_text("output: ../../elsewhere\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="output: expected a folder inside the study folder"):
        load_study(tmp_path / "study.yaml")
    s = load_study(tmp_path / "study.yaml", output=tmp_path.parent / "explicit")   # --out
    assert s.output == (tmp_path.parent / "explicit").resolve()


def test_listed_wave_without_a_file_is_refused(tmp_path):
    (tmp_path / "a.csv").write_text("resp_id\n1\n", encoding="utf-8")
    (tmp_path / "study.yaml").write_text(
        "study: {waves: [2022, 2023]}\nresponses: {students: {2022: a.csv}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"study.waves: .*\[2023\]"):
        load_study(tmp_path / "study.yaml")


def test_config_not_utf8_is_refused(tmp_path):
    (tmp_path / "study.yaml").write_bytes("study: {title: Школа}\n".encode("cp1251"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_study(tmp_path / "study.yaml")


def test_defaults_fill_every_block():
    cfg = parse_config("")
    assert cfg.report.min_cell == 5 and cfg.typology.residual_sd == 1.0
    assert cfg.design.lonely_psu == "certainty"


def _keys(model, prefix=""):
    import typing
    from pydantic import BaseModel
    for name, f in model.model_fields.items():
        key = f"{prefix}{f.alias or name}"
        yield key
        for a in (f.annotation, *typing.get_args(f.annotation)):
            if isinstance(a, type) and issubclass(a, BaseModel):
                yield from _keys(a, key + ".")
                break


def test_docs_list_every_key():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "CONFIG.md").read_text(encoding="utf-8")
    missing = [k for k in _keys(StudyConfig) if f"`{k.rsplit('.', 1)[-1]}`" not in doc]
    assert not missing, missing


def test_demo_refuses_to_write_over_another_study(tmp_path):
    from shnro_research.pipeline import demo_config
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "students_2022.sav").write_bytes(b"not ours")
    (tmp_path / "study.yaml").write_text("study: {id: mine}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="already holds a study"):
        demo_config(tmp_path)
    assert (tmp_path / "raw" / "students_2022.sav").read_bytes() == b"not ours"
    assert (tmp_path / "study.yaml").read_text(encoding="utf-8") == "study: {id: mine}\n"
