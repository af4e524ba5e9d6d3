"""The planted climate effect on results (issue 12): beyond context, schools whose students feel
more social tension have lower results.

Results of school s (``true_z`` of :func:`~shnro_research.demo.schools.make_results`) are
``beta c_s + u_s + v_sy``. For every school outside the planted result sets (low, resilient,
high, unstable and the register's sets, whose ``u_s`` is set by hand), the school effect is
rebuilt as

.. math::

    u_s \\leftarrow \\mathrm{clip}\\big(\\sqrt{1-\\rho^2}\\,u_s - \\rho\\,\\sigma_u\\,t_s,
    \\pm u_{trunc}\\big),

where ``t_s`` is the students' latent school tension of the first wave (before the programme),
standardised over the municipality's schools, ``sigma_u`` the SD of the school effects and
``rho`` = ``CLIMATE["rho"]``: one SD more tension goes with ``rho sigma_u`` z-units lower results,
at equal context. No random stream is drawn, so nothing else in the demo moves; the clip keeps the
school effects inside the truncation that protects the planted sets.

The truth of the study's focal model (results on context and students' tension, both z-scored
across the sampled school-years) is the standardised coefficient of the latent tension in the
least-squares regression of the latent results on the latent context and tension over the same
school-years (:func:`climate_truth`): what the model would find without sampling and
measurement error. The observed coefficient is attenuated by the measurement error of the school
means (ICC(2) < 1), so the test checks that the truth lies in its confidence interval.
"""
from __future__ import annotations

import numpy as np

from .parameters import RESULTS

#: students' school tension -> results, beyond context (share rho of the school effects' SD)
CLIMATE = dict(group="students", measure="tension", rho=0.8)


def tension_z(eff) -> np.ndarray:
    """Students' latent school tension of the first wave, z-scored over all schools."""
    t = np.asarray(eff.tension[CLIMATE["group"]])[:, 0]
    return (t - t.mean()) / t.std(ddof=0)


def plant_climate(u: np.ndarray, t: np.ndarray, fixed) -> np.ndarray:
    """School effects with the planted climate term; ``fixed`` schools keep their ``u``."""
    rho, sd, trunc = CLIMATE["rho"], RESULTS["sd_u"], RESULTS["u_trunc"]
    out = u.copy()
    free = np.ones(len(u), bool)
    free[list(fixed)] = False
    new = np.sqrt(1 - rho ** 2) * u - rho * sd * t
    out[free] = np.clip(new[free], -(trunc - 1e-3), trunc - 1e-3)
    return out


def climate_truth(true_z: np.ndarray, c: np.ndarray, t: np.ndarray, sampled) -> dict:
    """Standardised coefficient of tension in results ~ context + tension (latent values)."""
    s = np.asarray(sampled, int)
    W = true_z.shape[1]
    y = true_z[s].reshape(-1)
    X = np.column_stack([np.repeat(c[s], W), np.repeat(t[s], W)])
    Z = lambda a: (a - a.mean(0)) / a.std(0, ddof=1)   # noqa: E731
    yz, Xz = Z(y), Z(X)
    beta = np.linalg.lstsq(np.column_stack([np.ones(len(yz)), Xz]), yz, rcond=None)[0]
    return dict(
        definition="results of school-years of sampled schools regressed on context and the "
                   "students' latent school tension (first wave), all z-scored; the planted "
                   "school effect is u_s = sqrt(1 - rho^2) u_s - rho sd_u t_s (clipped) outside "
                   "the planted result sets",
        group=CLIMATE["group"], measure=CLIMATE["measure"], rho=CLIMATE["rho"],
        tension_std_coef=round(float(beta[2]), 6), context_std_coef=round(float(beta[1]), 6),
        direction="more tension, lower results")
