# Extra reference values for shnro_research.design, computed with R survey 4.1-1.
# Run from the project root:  Rscript tests/reference/design_survey.R
# Writes tests/reference/design_survey.json and the data sets it uses
# (design_apiclus2/data.csv, design_synth2/data.csv, design_scd/data.csv, replicate weights).
suppressPackageStartupMessages({library(survey); library(jsonlite)})
out <- list()
ref <- "tests/reference"
data(api); data(scd)

stat <- function(s, design, df = degf(design)) {
  est <- as.numeric(coef(s)); se <- as.numeric(SE(s))
  r <- list(est = est, se = se)
  d <- tryCatch(as.numeric(deff(s)), error = function(e) NULL)
  if (!is.null(d) && length(d) == length(est)) r$deff <- d
  ci_t <- confint(s, df = df); ci_n <- confint(s)
  r$ci_t_low <- as.numeric(ci_t[, 1]); r$ci_t_high <- as.numeric(ci_t[, 2])
  r$ci_n_low <- as.numeric(ci_n[, 1]); r$ci_n_high <- as.numeric(ci_n[, 2])
  r$names <- names(coef(s))
  r
}
byres <- function(b) list(levels = as.character(b[[1]]), est = as.numeric(coef(b)),
                          se = as.numeric(SE(b)),
                          deff = tryCatch(as.numeric(deff(b)), error = function(e) NULL,
                                          warning = function(w) NULL))
glmres <- function(m) {
  s <- summary(m)$coefficients
  list(names = rownames(s), coef = as.numeric(s[, 1]), se = as.numeric(s[, 2]),
       t = as.numeric(s[, 3]), p = as.numeric(s[, 4]), df_resid = m$df.residual)
}
qres <- function(q) {
  m <- q[[1]]
  list(p = as.numeric(rownames(m)), est = as.numeric(m[, 1]), ci_low = as.numeric(m[, 2]),
       ci_high = as.numeric(m[, 3]), se = as.numeric(m[, 4]))
}

## ---- 1. two-stage cluster sample with fpc at both stages (apiclus2) ----
write.csv(apiclus2, file.path(ref, "design_apiclus2/data.csv"), row.names = FALSE, na = "")
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
dclus2wr <- svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)
o <- list()
o$degf <- degf(dclus2)
o$weights <- as.numeric(weights(dclus2))
o$mean <- stat(svymean(~api00 + api99, dclus2, deff = TRUE), dclus2)
o$total_enroll <- stat(svytotal(~enroll, dclus2, na.rm = TRUE, deff = TRUE), dclus2)
o$prop_sch_wide <- stat(svymean(~sch.wide, dclus2, deff = TRUE), dclus2)
o$prop_stype <- stat(svymean(~stype, dclus2, deff = TRUE), dclus2)
o$by_stype <- byres(svyby(~api00, ~stype, dclus2, svymean, deff = TRUE))
o$by_stype_enroll <- byres(svyby(~enroll, ~stype, dclus2, svymean, na.rm = TRUE, deff = TRUE))
o$ratio <- {r <- svyratio(~api.stu, ~enroll, dclus2, na.rm = TRUE); list(est = as.numeric(coef(r)), se = as.numeric(SE(r)))}
o$quantile <- qres(svyquantile(~api00, dclus2, c(0.1, 0.25, 0.5, 0.75, 0.9)))
o$quantile_na <- qres(svyquantile(~enroll, dclus2, c(0.25, 0.5), na.rm = TRUE))
o$glm <- glmres(svyglm(api00 ~ ell + meals + mobility, dclus2))
o$glm_quasibinomial <- glmres(svyglm(I(sch.wide == "Yes") ~ ell + meals + mobility, dclus2, family = quasibinomial()))
o$mean_wr <- stat(svymean(~api00 + api99, dclus2wr, deff = TRUE), dclus2wr)
o$glm_wr <- glmres(svyglm(api00 ~ ell + meals + mobility, dclus2wr))
# trimming (redistribution as survey::trimWeights)
o$trim_weights <- as.numeric(weights(trimWeights(dclus2wr, upper = 60, lower = 10)))
out$apiclus2 <- o

## ---- 2. apistrat/apiclus1 extras: ratio, quantile, quasibinomial, CI ----
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
for (nm in c("apistrat", "apiclus1")) {
  d <- if (nm == "apistrat") dstrat else dclus1
  o <- list()
  o$degf <- degf(d)
  o$mean <- stat(svymean(~api00 + api99, d, deff = TRUE), d)
  o$ratio <- {r <- svyratio(~api.stu, ~enroll, d); list(est = as.numeric(coef(r)), se = as.numeric(SE(r)))}
  o$quantile <- qres(svyquantile(~api00, d, c(0.25, 0.5, 0.75)))
  o$glm_quasibinomial <- glmres(svyglm(I(sch.wide == "Yes") ~ ell + meals + mobility, d, family = quasibinomial()))
  o$by_stype_deff <- byres(svyby(~api00, ~stype, d, svymean, deff = TRUE))
  o$by_stype_total <- byres(svyby(~enroll, ~stype, d, svytotal))
  out[[nm]] <- o
}

## ---- 3. raking (calibrate, calfun = "raking") on apiclus1 ----
pop_stype <- table(apipop$stype); pop_sw <- table(apipop$sch.wide)
pop <- c(`(Intercept)` = nrow(apipop), stypeH = pop_stype[["H"]], stypeM = pop_stype[["M"]],
         sch.wideYes = pop_sw[["Yes"]])
dcal <- calibrate(dclus1, ~stype + sch.wide, population = pop, calfun = "raking", epsilon = 1e-12, maxit = 100)
o <- list(margins = list(stype = as.list(pop_stype), sch.wide = as.list(pop_sw)))
o$weights <- as.numeric(weights(dcal))
o$mean <- stat(svymean(~api00, dcal), dcal)
out$raking_apiclus1 <- o

## ---- 4. replicate designs ----
rclus1 <- as.svrepdesign(dclus1, type = "JK1")
rw <- weights(rclus1, "analysis")
write.csv(data.frame(rw), file.path(ref, "design_apiclus1_jk1_repweights.csv"), row.names = FALSE)
o <- list(scale = rclus1$scale, rscales = rclus1$rscales, degf = degf(rclus1))
o$mean <- stat(svymean(~api00 + api99, rclus1), rclus1)
o$total_enroll <- stat(svytotal(~enroll, rclus1), rclus1)
o$by_stype <- byres(svyby(~api00, ~stype, rclus1, svymean))
o$ratio <- {r <- svyratio(~api.stu, ~enroll, rclus1); list(est = as.numeric(coef(r)), se = as.numeric(SE(r)))}
o$glm <- glmres(svyglm(api00 ~ ell + meals + mobility, rclus1))
o$glm_quasibinomial <- glmres(svyglm(I(sch.wide == "Yes") ~ ell + meals + mobility, rclus1, family = quasibinomial()))
out$jk1_apiclus1 <- o

rstrat <- as.svrepdesign(dstrat, type = "JKn")
o <- list(scale = rstrat$scale, rscales = as.numeric(rstrat$rscales), degf = degf(rstrat))
o$mean <- stat(svymean(~api00 + api99, rstrat), rstrat)
o$by_stype <- byres(svyby(~api00, ~stype, rstrat, svymean))
out$jkn_apistrat <- o

write.csv(scd, file.path(ref, "design_scd/data.csv"), row.names = FALSE)
repweights <- 2 * cbind(c(1,0,1,0,1,0), c(1,0,0,1,0,1), c(0,1,1,0,0,1), c(0,1,0,1,1,0))
scdrep <- svrepdesign(data = scd, type = "BRR", repweights = repweights, combined.weights = FALSE)
o <- list(repweights = repweights)
o$brr_mean <- stat(svymean(~arrests + alive, scdrep), scdrep)
o$brr_ratio <- {r <- svyratio(~alive, ~arrests, scdrep); list(est = as.numeric(coef(r)), se = as.numeric(SE(r)))}
fayw <- ifelse(repweights == 2, 1.7, 0.3)
scdfay <- svrepdesign(data = scd, type = "Fay", rho = 0.3, repweights = fayw, combined.weights = FALSE)
o$fay_repweights <- fayw
o$fay_mean <- stat(svymean(~arrests + alive, scdfay), scdfay)
o$fay_total <- stat(svytotal(~arrests, scdfay), scdfay)
out$scd <- o

## ---- 5. stratified two-stage school -> class sample with fpc and lonely PSUs ----
set.seed(20261122)
rows <- list()
for (h in 1:3) {
  nsch <- c(4, 3, 1)[h]; Nsch <- c(40, 25, 12)[h]
  for (s in seq_len(nsch)) {
    ncl <- if (h == 2 && s == 1) 1 else 2; Ncl <- if (h == 2 && s == 1) 3 else sample(3:6, 1)
    for (k in seq_len(ncl)) {
      m <- sample(8:15, 1)
      rows[[length(rows) + 1]] <- data.frame(stratum = h, school = 100 * h + s, class = k,
        N1 = Nsch, N2 = Ncl, y = round(rnorm(m, 50 + 5 * h + 3 * s, 10), 1),
        g = sample(c("a", "b"), m, replace = TRUE))
    }
  }
}
synth <- do.call(rbind, rows)
write.csv(synth, file.path(ref, "design_synth2/data.csv"), row.names = FALSE)
o <- list()
for (lp in c("certainty", "remove", "adjust", "average")) {
  options(survey.lonely.psu = lp)
  d <- svydesign(id = ~school + class, strata = ~stratum, fpc = ~N1 + N2, data = synth, nest = TRUE)
  o[[lp]] <- list(mean = stat(svymean(~y, d, deff = TRUE), d),
                  by_g = byres(svyby(~y, ~g, d, svymean)),
                  total = stat(svytotal(~y, d), d))
  if (lp == "certainty") o$weights <- as.numeric(weights(d))
  if (lp == "certainty") o$degf <- degf(d)
}
options(survey.lonely.psu = "fail")
o$fail_error <- tryCatch({svymean(~y, svydesign(id = ~school + class, strata = ~stratum, fpc = ~N1 + N2,
                                                data = synth, nest = TRUE)); "no error"},
                         error = function(e) conditionMessage(e))
options(survey.lonely.psu = "certainty")
# same design without the stage-2 fpc column: second stage sampled with replacement
s1 <- synth[synth$stratum != 3, ]; s1$N2inf <- Inf
n1 <- ave(s1$school, s1$stratum, FUN = function(v) length(unique(v)))
n2 <- ave(s1$class, s1$school, FUN = function(v) length(unique(v)))
s1$wt <- (s1$N1 / n1) * (s1$N2 / n2)
d1 <- svydesign(id = ~school + class, strata = ~stratum, fpc = ~N1 + N2inf, weights = ~wt, data = s1, nest = TRUE)
o$stage1_fpc_only <- tryCatch(stat(svymean(~y, d1), d1), error = function(e) list(error = conditionMessage(e)))
options(survey.lonely.psu = "fail")
out$synth2 <- o

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null"),
           file.path(ref, "design_survey.json"))
cat("written\n")
# Provenance: R 4.2.2, survey 4.1-1, jsonlite (Debian packages r-base-core, r-cran-survey,
# r-cran-jsonlite). design_apiclus1_jk1_repweights.csv = weights(as.svrepdesign(dclus1), "analysis").
