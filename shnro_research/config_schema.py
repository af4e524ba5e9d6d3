"""The schema of ``study.yaml``: every key, its type and its range, checked when the config is
loaded — before any stage runs. Unknown keys (typos such as ``respones:`` or ``min_cel:``) and
duplicate keys are refused with the key path and, where one is close, "did you mean".

Defaults live here and only here; ``docs/CONFIG.md`` lists them.
"""
from __future__ import annotations

import difflib
import typing
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError,
                      field_validator, model_validator)

from .errors import ConfigError

GROUPS = ("students", "parents", "teachers")
LONELY_PSU = ("fail", "remove", "certainty", "adjust", "average")
ADJUST = ("holm", "hochberg", "bonferroni", "BH", "BY", "fdr", "none")
RESILIENCE_RULES = ("quadrant", "residual", "benchmark")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FileSpec(_Strict):
    """A raw file and how to read it."""

    file: str
    format: Literal["sav", "csv", "xlsx", "parquet"] | None = None
    encoding: str | None = None
    sep: str | None = None
    sheet: Union[int, str, None] = None
    decimal: Literal[",", "."] | None = None

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v):
        if v is None:
            return v
        import codecs
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown encoding {v!r} (e.g. utf-8, cp1251, koi8-r)") from None
        return v

    @model_validator(mode="after")
    def _format_matches(self):
        if self.format is not None:
            suffix = self.file.rsplit(".", 1)[-1].lower() if "." in self.file else ""
            if suffix != self.format:
                raise ValueError(f"format {self.format!r} does not match the file {self.file!r}")
        return self


#: a file given as ``{file: path, encoding: ...}`` or just as its path
File = Annotated[FileSpec, BeforeValidator(lambda v: {"file": v} if isinstance(v, str) else v)]


class StudyMeta(_Strict):
    id: str | None = None
    title: str | None = None
    seed: int = 0
    waves: list[int] | None = None
    lang: Literal["ru", "en"] = "ru"


class DesignBlock(_Strict):
    frame: File | None = None
    wave: str = "wave"
    strata: str = "stratum"
    school: str = "school_id"
    class_: str = Field("class_id", alias="class")
    unit: str | None = "unit"
    weight: str = "weight"
    weight_nr: str | None = None
    lonely_psu: Literal[LONELY_PSU] = "certainty"


class ContextBlock(_Strict):
    passport: File | None = None
    results: File | None = None
    components: dict[str, Literal[-1, 1]] | None = None
    weights: Literal["equal", "pca"] = "equal"
    min_components: float = Field(0.75, gt=0)
    standardise: Literal["reference_year", "per_year"] = "reference_year"
    reference_year: int | None = None
    resources: list[Annotated[str, Field(min_length=1)]] | None = None

    @model_validator(mode="after")
    def _index_apart_from_resources(self):
        if self.reference_year is not None and self.standardise != "reference_year":
            raise ValueError(f"reference_year is used only with standardise: reference_year; "
                             f"got standardise: {self.standardise}")
        both = sorted(set(self.components or ()) & set(self.resources or ()))
        if both:
            raise ValueError(f"{both} listed both as components of the well-being index and as "
                             "resources; the index takes family and pupil context only")
        return self


class ValidationBlock(_Strict):
    duplicates: Literal["exclude_all", "keep_first"] = "exclude_all"
    straightlining: Literal["flag", "exclude", "off"] = "flag"
    straightline_min_items: int = Field(5, ge=2)
    min_answered: float = Field(0.5, ge=0, le=1)
    grades: tuple[int, int] | None = (8, 11)
    min_working_age: int = Field(18, ge=10, le=30)
    check_action: Literal["flag", "exclude"] = "flag"
    keep_columns: list[Annotated[str, Field(min_length=1)]] = []


class ScoringBlock(_Strict):
    tension_thresholds: tuple[float, float, float] = (25.0, 50.0, 75.0)

    @field_validator("tension_thresholds")
    @classmethod
    def _increasing(cls, v):
        if not (0 < v[0] < v[1] < v[2] < 100):
            raise ValueError(f"three increasing levels between 0 and 100; got {list(v)}")
        return v


class RegisterBlock(_Strict):
    """The school register (typology.register): absolute rules, one shared low-context cut-off;
    low results use typology.low_threshold and typology.min_procedures."""
    low_context: float = -0.43
    benchmark: float = 0.0
    reference_year: int | None = None
    same_procedure_years: int = Field(2, ge=2)
    min_participants: int = Field(1, ge=1)
    crisis_sd: float = Field(3.0, gt=0)
    improvement_sd: float = Field(3.0, gt=0)
    improvement_years: int = Field(2, ge=1)


class ObjectivityBlock(_Strict):
    """The objectivity screen of ВПР results (typology.objectivity; typology/objectivity.py)."""
    exclude_flagged: bool = False
    min_n: int = Field(10, ge=1)
    max_above_term: float = Field(0.30, ge=0, le=1)
    max_mark_gap: float = Field(0.5, ge=0, le=3)
    high_excess: float = Field(0.15, ge=0, le=1)
    alpha: float = Field(0.01, gt=0, lt=1)
    require: Literal["both", "either"] = "both"
    reference: Literal["region", "municipality"] = "region"


class TypologyBlock(_Strict):
    resilience_rules: list[Literal[RESILIENCE_RULES]] = ["quadrant", "residual"]
    context_quantile: float = Field(1 / 3, gt=0, lt=1)
    outcome_quantile: float = Field(0.5, gt=0, lt=1)
    residual_sd: float = Field(1.0, gt=0)
    unfavourable_quantile: float = Field(0.25, gt=0, lt=1)
    low_results_unit: Literal["procedure", "assessment"] = "procedure"
    low_threshold: float = Field(0.3, gt=0, le=1)
    min_procedures: int = Field(2, ge=1)
    register_: RegisterBlock = Field(RegisterBlock(), alias="register")
    objectivity: ObjectivityBlock = ObjectivityBlock()


class DynamicsBlock(_Strict):
    lower_is_better: list[str] | None = None
    adjust: Literal[ADJUST] = "holm"
    alpha: float = Field(0.05, gt=0, lt=1)
    min_change: float = Field(0.0, ge=0)
    meaningful_change_sd: float = Field(0.3, gt=0)
    effect_size_scales: list[str] = ["tension", "motivation", "anxiety"]
    programme_schools: list[str] | None = None


class IndicatorsBlock(_Strict):
    """Programme catalogues (docs/INDICATORS.md) and the tables they read (stage dynamics)."""
    catalogue: str | None = None
    programme_data: File | None = None
    diagnostics: File | None = None
    region: File | None = None
    programme_results: File | None = None
    action_plan: File | None = None


class BreakdownsBlock(_Strict):
    """Design-based breakdowns of the design stage (group means and cross-tables by factors)."""
    by: list[Annotated[str, Field(min_length=1)]] = ["sex", "grade", "plans", "ses_group",
                                                     "family_income", "home_language"]
    measures: list[Annotated[str, Field(min_length=1)]] = ["tension", "rel_satisfaction",
                                                           "motivation", "anxiety"]
    categorical: list[Annotated[str, Field(min_length=1)]] = ["plans", "marks"]
    adjust: Literal[ADJUST] = "holm"


class ReportBlock(_Strict):
    min_cell: int = Field(5, ge=1)
    cards: Literal["all", "auto", "none"] = "auto"
    cards_max: int = Field(1000, ge=0)


class EngineBlock(_Strict):
    """How the responses, scoring and design stages run: in memory (pandas; in chunks of schools
    above a size) or on Dask (one machine or a cluster). The numbers are the same."""
    backend: Literal["pandas", "dask"] = "pandas"
    scheduler: Annotated[str, Field(min_length=1)] = "local"
    workers: int = Field(2, ge=1)
    chunk_schools: Literal["auto"] | Annotated[int, Field(ge=0)] = "auto"
    partition_rows: int = Field(0, ge=0)
    spss_copy: Literal["always", "auto", "never"] = "auto"
    spss_copy_max_rows: int = Field(500_000, ge=0)


class StudyConfig(_Strict):
    """The whole ``study.yaml``."""

    study: StudyMeta = StudyMeta()
    instruments: dict[str, str] | None = None
    responses: dict[Literal[GROUPS], dict[int, File]] = {}
    design: DesignBlock = DesignBlock()
    context: ContextBlock = ContextBlock()
    validation: ValidationBlock = ValidationBlock()
    scoring: ScoringBlock = ScoringBlock()
    typology: TypologyBlock = TypologyBlock()
    dynamics: DynamicsBlock = DynamicsBlock()
    indicators: IndicatorsBlock = IndicatorsBlock()
    breakdowns: BreakdownsBlock = BreakdownsBlock()
    report: ReportBlock = ReportBlock()
    engine: EngineBlock = EngineBlock()
    output: str = "output"
    truth: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _blocks_may_be_empty(cls, data):
        if isinstance(data, dict):
            return {k: ({} if v is None and k not in ("truth", "instruments") else v)
                    for k, v in data.items()}
        return data


# -- loading ----------------------------------------------------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(f"line {key_node.start_mark.line + 1}: key {key!r} is given twice "
                              f"(first on line {seen[key] + 1})")
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _construct_mapping)


def _model_in(ann: Any) -> Any:
    """The pydantic model or mapping type inside an annotation (Optional, Annotated, Union)."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    origin = typing.get_origin(ann)
    if origin is dict:
        return ann
    for a in typing.get_args(ann):
        found = _model_in(a)
        if found is not None:
            return found
    return None


def _fields_at(loc: tuple) -> list[str]:
    """The keys allowed at a location of the schema (for "did you mean")."""
    node: Any = StudyConfig
    for part in loc[:-1]:
        if typing.get_origin(node) is dict:
            node = _model_in(typing.get_args(node)[1])
            continue
        fields = getattr(node, "model_fields", None) or {}
        f = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
        if f is None:
            return []
        node = _model_in(f.annotation)
        if node is None:
            return []
    fields = getattr(node, "model_fields", {}) or {}
    return [f.alias or n for n, f in fields.items()]


def _message(err: dict) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and (
        p.startswith(("function-", "literal[", "union[")) or p in ("FileSpec", "str", "int"))))
    path = ".".join(str(p) for p in loc)
    if err["type"] == "extra_forbidden":
        allowed = _fields_at(loc)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {allowed}" if allowed else ""
        return f"{path}: unknown key{hint}"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{path}: {msg}" + ("" if "got" in msg else f"; got {err.get('input')!r}")


def parse_config(text: str, name: str = "study.yaml") -> StudyConfig:
    """Parse and check a config's text; every problem at once, each naming its key path."""
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{name}: expected a mapping of blocks at the top level; "
                          f"got {type(raw).__name__}")
    try:
        return StudyConfig.model_validate(raw)
    except ValidationError as exc:
        seen, lines = set(), []
        for e in exc.errors():
            m = _message(e)
            if m not in seen:
                seen.add(m)
                lines.append(m)
        raise ConfigError(f"{name}: " + ("; ".join(lines) if len(lines) == 1 else
                                        "\n  " + "\n  ".join(lines))) from None
