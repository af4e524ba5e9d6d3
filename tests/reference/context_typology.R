# Reference values for tests/test_context.py, tests/test_typology.py and tests/test_realdata.py.
# Run from the repository root:  Rscript tests/reference/context_typology.R
# Writes tests/reference/context_typology.json. PISA values need ../shared/data (else skipped).
suppressPackageStartupMessages({library(jsonlite); library(sandwich); library(lmtest); library(lme4)})
ref <- "tests/reference"
out <- list(R_version = R.version.string,
            packages = list(sandwich = as.character(packageVersion("sandwich")),
                            lme4 = as.character(packageVersion("lme4"))))

## ---- social passport index ---------------------------------------------------------------
d <- read.csv(file.path(ref, "context_passport", "data.csv"))
comps <- c("share_parents_higher_ed", "share_low_income", "share_single_parent", "share_registered",
           "share_non_native", "share_teachers_top_category")
dirs <- c(1, -1, -1, -1, -1, 1)
Z <- matrix(NA_real_, nrow(d), length(comps))
for (y in unique(d$year)) {
  i <- d$year == y
  for (j in seq_along(comps)) {
    x <- d[i, comps[j]]
    Z[i, j] <- dirs[j] * (x - mean(x, na.rm = TRUE)) / sd(x, na.rm = TRUE)
  }
}
nav <- rowSums(!is.na(Z))
idx_eq <- ifelse(nav >= 4, rowMeans(Z, na.rm = TRUE), NA)
cc <- complete.cases(Z)
p <- prcomp(Z[cc, ], center = TRUE, scale. = TRUE)
v <- p$rotation[, 1]; if (sum(v) < 0) v <- -v
load <- unname(v * p$sdev[1]); expl <- p$sdev[1]^2 / sum(p$sdev^2)
w <- load / sum(load)
idx_pca <- apply(Z, 1, function(z) { ok <- !is.na(z); if (sum(ok) < 4) NA else sum(w[ok] * z[ok]) / sum(w[ok]) })
out$passport <- list(index_equal = idx_eq, index_pca = idx_pca, z = Z, pca_loadings = load,
                     pca_explained = expl, n_components = nav)

## ---- unfavourable context, low results, resilience (per year) --------------------------------
d$index <- idx_eq
dd <- d[!is.na(d$index), ]
unf <- c(); cut_ctx <- c(); res <- list()
for (y in sort(unique(dd$year))) {
  s <- dd[dd$year == y, ]
  qc <- unname(quantile(s$index, 0.25, type = 7)); qo <- unname(quantile(s$score, 0.75, type = 7))
  m <- lm(score ~ index, s)
  V <- vcovHC(m, type = "HC1")
  res[[as.character(y)]] <- list(
    school_id = s$school_id, context_cutoff = qc, outcome_cutoff = qo,
    coef = unname(coef(m)), se_hc1 = unname(sqrt(diag(V))), sigma = summary(m)$sigma,
    r2 = summary(m)$r.squared, std_residual = unname(residuals(m) / summary(m)$sigma),
    quadrant = s$school_id[s$index <= qc & s$score >= qo],
    residual_1sd = s$school_id[residuals(m) / summary(m)$sigma > 1])
}
out$resilience <- res
# low results: bottom 10 % of score each year (all rows), 2 consecutive years
low <- do.call(rbind, lapply(split(d, d$year), function(s) {
  data.frame(school_id = s$school_id, year = s$year, low = s$score <= quantile(s$score, 0.10, type = 7)) }))
low <- low[order(low$school_id, low$year), ]
flag2 <- sapply(split(low$low, low$school_id), function(l) { r <- rle(l); any(r$values & r$lengths >= 2) })
out$low_results <- list(flagged_k2 = as.integer(names(flag2)[flag2]))

## ---- PISA 2003 Russia -----------------------------------------------------------------------
datadir <- Sys.getenv("SHNRO_DATA", "../shared/data")
f <- file.path(datadir, "pisa", "student_RUS_2000_2003.csv")
if (file.exists(f)) {
  st <- read.csv(f)
  st <- st[st$year == 2003 & st$country == "RUS", ]
  st <- st[complete.cases(st[, c("math", "escs", "stu_wgt")]), ]
  st$school_id <- as.integer(st$school_id)
  m <- lm(math ~ escs, st, weights = stu_wgt)
  V <- vcovCL(m, cluster = ~school_id, type = "HC1")
  m0 <- lmer(math ~ 1 + (1 | school_id), st, REML = TRUE)
  m1 <- lmer(math ~ escs + (1 | school_id), st, REML = TRUE)
  vc <- function(mm) { v <- as.data.frame(VarCorr(mm)); c(v$vcov[v$grp == "school_id"], v$vcov[v$grp == "Residual"]) }
  agg <- do.call(rbind, lapply(split(st, st$school_id), function(s)
    data.frame(school_id = s$school_id[1], n = nrow(s), math = weighted.mean(s$math, s$stu_wgt),
               escs = weighted.mean(s$escs, s$stu_wgt))))
  agg <- agg[agg$n >= 10, ]
  ms <- lm(math ~ escs, agg)
  e <- residuals(ms) / summary(ms)$sigma
  qc <- quantile(agg$escs, 0.25, type = 7); qo <- quantile(agg$math, 0.75, type = 7)
  out$pisa <- list(
    n = nrow(st), coef = unname(coef(m)), se_cr1 = unname(sqrt(diag(V))), r2 = summary(m)$r.squared,
    var_null = vc(m0), var_escs = vc(m1), n_schools = nrow(agg),
    school_coef = unname(coef(ms)), school_se_hc1 = unname(sqrt(diag(vcovHC(ms, type = "HC1")))),
    school_r2 = summary(ms)$r.squared,
    resilient_residual = sort(agg$school_id[e > 1]),
    resilient_quadrant = sort(agg$school_id[agg$escs <= qc & agg$math >= qo]))
}
writeLines(toJSON(out, digits = 15, auto_unbox = TRUE, na = "null"), file.path(ref, "context_typology.json"))
cat("wrote", file.path(ref, "context_typology.json"), "\n")
