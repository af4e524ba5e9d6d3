# Reference values for shnro_research.scoring.cfa (tests/test_cfa.py): confirmatory factor
# analysis and measurement invariance with lavaan 0.6-14 (R 4.2, Debian r-cran-lavaan).
# Data: measurement_hs/data.csv (lavaan's HolzingerSwineford1939, written by write.csv) and
# measurement_likert/data.csv (measurement_make_data.py, seeded synthetic 5-point items).
# Run from tests/reference:  Rscript measurement_cfa.R   -> measurement_cfa.json
suppressMessages({library(jsonlite); library(lavaan)})
hs <- read.csv("measurement_hs/data.csv")
lk <- read.csv("measurement_likert/data.csv")
hs_model <- "visual =~ x1 + x2 + x3
             textual =~ x4 + x5 + x6
             speed =~ x7 + x8 + x9"
lk_model <- "f =~ q1 + q2 + q3 + q4 + q5 + q6"
FM <- c("npar", "fmin", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
        "logl", "unrestricted.logl", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue",
        "srmr", "srmr_bentler_nomean", "ntotal")
FM_SCALED <- c("chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
               "baseline.chisq.scaled", "baseline.chisq.scaling.factor", "cfi.scaled",
               "tli.scaled", "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled",
               "cfi.robust", "tli.robust", "rmsea.robust")
pack <- function(fit, scaled = FALSE) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  pe <- pe[pe$op %in% c("=~", "~~", "~1"), ]
  if (is.null(pe$group)) pe$group <- 1L
  fm <- fitMeasures(fit, if (scaled) c(FM, FM_SCALED) else FM)
  list(params = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = pe$group, est = pe$est,
                     se = pe$se, z = pe$z, pvalue = pe$pvalue, ci_lower = pe$ci.lower,
                     ci_upper = pe$ci.upper, std_all = pe$std.all, std_lv = pe$std.lv),
       fit = as.list(fm), group_labels = lavInspect(fit, "group.label"),
       nobs = lavInspect(fit, "nobs"))
}
lrt <- function(...) {
  a <- lavTestLRT(...)
  list(chisq = a$Chisq, df = a$Df, chisq_diff = a[["Chisq diff"]], df_diff = a[["Df diff"]],
       pvalue = a[["Pr(>Chisq)"]])
}
out <- list(lavaan_version = as.character(packageVersion("lavaan")))
# (a) Holzinger-Swineford three-factor CFA, ML, marker and std.lv identification
out$hs_ml <- pack(cfa(hs_model, data = hs))
out$hs_ml_stdlv <- pack(cfa(hs_model, data = hs, std.lv = TRUE))
# (b) one factor on 5-point items (listwise), ML and MLR (Huber-White SE, Yuan-Bentler scaled test)
out$likert_ml <- pack(cfa(lk_model, data = lk))
out$likert_mlr <- pack(cfa(lk_model, data = lk, estimator = "MLR"), scaled = TRUE)
# (c) invariance by school: configural, metric (loadings), scalar (loadings + intercepts), ML
conf <- cfa(hs_model, data = hs, group = "school")
metr <- cfa(hs_model, data = hs, group = "school", group.equal = "loadings")
scal <- cfa(hs_model, data = hs, group = "school", group.equal = c("loadings", "intercepts"))
out$hs_configural <- pack(conf)
out$hs_metric <- pack(metr)
out$hs_scalar <- pack(scal)
out$hs_lrt <- lrt(conf, metr, scal)
# (d) invariance of the Likert scale across the two groups, MLR (scaled difference test)
lconf <- cfa(lk_model, data = lk, group = "group", estimator = "MLR")
lmetr <- cfa(lk_model, data = lk, group = "group", estimator = "MLR", group.equal = "loadings")
lscal <- cfa(lk_model, data = lk, group = "group", estimator = "MLR",
             group.equal = c("loadings", "intercepts"))
out$likert_mlr_configural <- pack(lconf, scaled = TRUE)
out$likert_mlr_metric <- pack(lmetr, scaled = TRUE)
out$likert_mlr_scalar <- pack(lscal, scaled = TRUE)
out$likert_mlr_lrt <- lrt(lconf, lmetr, lscal)
write_json(out, "measurement_cfa.json", digits = NA, auto_unbox = TRUE, pretty = TRUE,
           na = "null")
