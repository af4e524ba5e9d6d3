# Reference values of shnro_research.design.tests (svychisq, svyttest, regTermTest), computed
# with R survey 4.1-1.  Run from the project root:  Rscript tests/reference/design_tests.R
# Reads the vendored data (survey_apistrat, survey_apiclus1, design_synth2,
# design_apiclus1_jk1_repweights.csv) and writes tests/reference/design_tests.json.
suppressPackageStartupMessages({library(survey); library(jsonlite)})
ref <- "tests/reference"
out <- list()

chisq <- function(f, d) {
  F <- svychisq(f, d)
  C <- svychisq(f, d, statistic = "Chisq")
  list(F = list(statistic = unname(F$statistic), ndf = unname(F$parameter[1]),
                ddf = unname(F$parameter[2]), p = F$p.value),
       Chisq = list(statistic = unname(C$statistic), df = unname(C$parameter[1]),
                    p = C$p.value))
}
ttest <- function(f, d) {
  t <- svyttest(f, d)
  list(est = unname(t$estimate), statistic = unname(t$statistic), df = unname(t$parameter),
       p = t$p.value, ci_low = t$conf.int[1], ci_high = t$conf.int[2],
       se = unname(t$estimate / t$statistic))
}
wald <- function(f, term, d) {
  r <- regTermTest(svyglm(f, d), term)
  list(F = as.numeric(r$Ftest), df = r$df, ddf = r$ddf, p = as.numeric(r$p))
}
cases <- function(d, withboth = TRUE) {
  o <- list()
  o$stype_awards <- chisq(~stype + awards, d)
  o$sch_wide_both <- chisq(~sch.wide + both, d)
  o$stype_awards_na <- chisq(~stype + awards_na, d)
  o$ttest_api00_awards <- ttest(api00 ~ awards, d)
  o$ttest_api00_awards_na <- ttest(api00 ~ awards_na, d)
  o$wald_api00_stype <- wald(api00 ~ stype, ~stype, d)
  o$degf <- degf(d)
  o
}
prep <- function(df) {
  # awards with some answers missing (every 7th row): rows stay in the design
  df$awards_na <- df$awards
  df$awards_na[seq(1, nrow(df), by = 7)] <- NA
  df
}

## ---- apistrat: stratified, fpc
st <- prep(read.csv(file.path(ref, "survey_apistrat/data.csv")))
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = st)
out$apistrat <- cases(dstrat)
## ---- apiclus1: one-stage cluster sample, fpc
cl <- prep(read.csv(file.path(ref, "survey_apiclus1/data.csv")))
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = cl)
out$apiclus1 <- cases(dclus1)
## breakdowns: a pairwise contrast on the subset of two levels; row proportions of a cross-table
out$apiclus1$ttest_api00_stype_EH <- ttest(api00 ~ stype, subset(dclus1, stype %in% c("E", "H")))
out$apiclus1$ttest_api00_stype_HM <- ttest(api00 ~ stype, subset(dclus1, stype %in% c("H", "M")))
b <- svyby(~awards, ~stype, dclus1, svymean)
out$apiclus1$awards_by_stype <- list(stype = as.character(b$stype), No = b$awardsNo,
                                     Yes = b$awardsYes, se_No = b$se.awardsNo,
                                     se_Yes = b$se.awardsYes)
## ---- apiclus1 as JK1 replicate design (weights vendored in design_apiclus1_jk1_repweights.csv)
rw <- as.matrix(read.csv(file.path(ref, "design_apiclus1_jk1_repweights.csv")))
rclus1 <- svrepdesign(data = cl, repweights = rw, weights = ~pw, type = "JK1",
                      combined.weights = TRUE, scale = as.svrepdesign(dclus1)$scale)
out$apiclus1_jk1 <- list(scale = rclus1$scale,
                         stype_awards = chisq(~stype + awards, rclus1),
                         ttest_api00_awards = ttest(api00 ~ awards, rclus1))

## ---- synthetic school -> class design (design_synth2), lonely stratum as certainty
options(survey.lonely.psu = "certainty")
sy <- read.csv(file.path(ref, "design_synth2/data.csv"))
sy$h <- cut(sy$y, c(-Inf, 55, 65, Inf), labels = c("low", "mid", "high"))
dsy <- svydesign(id = ~school + class, strata = ~stratum, fpc = ~N1 + N2, data = sy, nest = TRUE)
out$synth2 <- list(g_h = chisq(~g + h, dsy), ttest_y_g = ttest(y ~ g, dsy),
                   wald_y_h = wald(y ~ h, ~h, dsy), degf = degf(dsy))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null"),
           file.path(ref, "design_tests.json"))
cat("written\n")
# Provenance: R 4.2.2, survey 4.1-1, jsonlite (Debian packages r-base-core, r-cran-survey,
# r-cran-jsonlite).
