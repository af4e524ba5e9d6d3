"""Survey design stage: sample designs, weights, design-based estimates, regression, sampling.

Agrees with R survey 4.1 (``svydesign``, ``svrepdesign``, ``svymean``, ``svytotal``, ``svyby``,
``svyratio``, ``svyquantile``, ``svyglm``, ``calibrate``, ``trimWeights``, ``svychisq``,
``svyttest``, ``regTermTest``) to ``rtol=1e-6`` on the vendored reference cases
(``tests/reference/survey_*``, ``design_survey.json``, ``design_tests.json``).

Typical use::

    from shnro_research import design as sd
    d = sd.survey_design(df, ids=["school_id", "class_id"], strata="municipality",
                         weight="weight", nest=True, lonely_psu="adjust")
    sd.estimate_by(d, ["wellbeing", "q12"], by=["school_id", "group", "wave"])
    print(d.summary())          # designs and svy_glm results: .tidy(), .glance(), .summary()
"""
from .spec import ReplicateDesign, SurveyDesign, as_replicate, replicate_design, survey_design
from .estimates import (estimate_by, svy_mean, svy_multiresponse, svy_proportion, svy_quantile,
                        svy_ratio, svy_total)
from .regression import SvyGLMResult, svy_glm
from .tests import svy_means_test, svychisq, svyttest
from .breakdowns import breakdown_contrasts, breakdown_crosstabs, breakdown_means
from .weights import (base_weights, nonresponse_adjust, rake, rake_weights, trim_weights,
                      weight_diagnostics)
from .sampling import design_effect_icc, draw_sample, plan_sample_size, pps_systematic

__all__ = [
    "SurveyDesign", "ReplicateDesign", "survey_design", "replicate_design", "as_replicate",
    "svy_mean", "svy_total", "svy_proportion", "svy_multiresponse", "svy_ratio", "svy_quantile",
    "estimate_by", "svy_glm", "SvyGLMResult", "svychisq", "svyttest", "svy_means_test",
    "breakdown_means", "breakdown_contrasts", "breakdown_crosstabs", "base_weights",
    "nonresponse_adjust", "rake", "rake_weights", "trim_weights", "weight_diagnostics",
    "draw_sample", "pps_systematic", "design_effect_icc", "plan_sample_size",
]
