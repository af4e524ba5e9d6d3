# Reference values for tests/test_wellbeing.py: the school social well-being index standardised on
# a reference year (family and pupil components only; school resources kept apart).
# Run from the repository root:  Rscript tests/reference/context_wellbeing.R
# Writes tests/reference/context_wellbeing/data.csv (seeded synthetic passports, generated here)
# and tests/reference/context_wellbeing.json (R's index for the same data).
suppressPackageStartupMessages(library(jsonlite))
ref <- "tests/reference"
out <- list(R_version = R.version.string)

## ---- synthetic passports: 120 schools x 3 years, a general improvement of +0.3 SD a year ----
set.seed(20261130)
S <- 120; years <- 2022:2024
comps <- c("parents_higher_edu_pct", "low_income_pct", "single_parent_pct", "large_families_pct",
           "unemployed_parents_pct", "social_risk_pct", "registered_pct", "non_native_pct",
           "disability_pct", "guardianship_pct")
dirs <- c(1, -1, -1, -1, -1, -1, -1, -1, -1, -1)
base <- c(30, 20, 22, 15, 8, 5, 2, 6, 4, 2)              # mean share, %
slope <- c(0.6, -0.6, -0.35, -0.3, -0.55, -0.5, -0.5, -0.3, -0.2, -0.35)  # logit per SD of context
f <- rnorm(S)                                             # latent favourable context of a school
eta <- matrix(rnorm(S * length(comps), sd = 0.3), S)      # school-specific deviations
d <- do.call(rbind, lapply(seq_along(years), function(t) {
  ft <- f + 0.3 * (t - 1) + rnorm(S, sd = 0.1)
  x <- sapply(seq_along(comps), function(k)
    round(100 * plogis(qlogis(base[k] / 100) + slope[k] * ft + eta[, k] + rnorm(S, sd = 0.08)), 1))
  colnames(x) <- comps
  data.frame(school_id = 1:S, year = years[t], x,
             teacher_vacancies = rpois(S, exp(0.2 - 0.5 * ft)),
             teachers_higher_cat_pct = round(100 * plogis(qlogis(0.4) + 0.4 * ft + rnorm(S, sd = 0.3)), 1),
             n_students = round(exp(rnorm(S, 6, 0.5))), n_teachers = NA, n_classes = NA)
}))
d$n_teachers <- pmax(3, round(d$n_students / runif(nrow(d), 10, 18)))
d$n_classes <- pmax(1, round(d$n_students / runif(nrow(d), 18, 26)))
# planted missing components: 30 rows with 1..4 of the 10 missing (>= 3 missing: no index at 0.75)
miss <- sample(nrow(d), 30)
for (i in seq_along(miss)) d[miss[i], sample(comps, 1 + (i - 1) %% 4)] <- NA
dir.create(file.path(ref, "context_wellbeing"), showWarnings = FALSE)
write.csv(d, file.path(ref, "context_wellbeing", "data.csv"), row.names = FALSE, na = "")
d <- read.csv(file.path(ref, "context_wellbeing", "data.csv"))   # exactly what the test reads

## ---- the index standardised on a reference year -----------------------------------------------
min_k <- ceiling(0.75 * length(comps))                     # min_components = 0.75 -> 8 of 10
index_on <- function(r, weights = c("equal", "pca")) {
  weights <- match.arg(weights)
  X <- as.matrix(d[, comps]); at <- d$year == r
  m <- colMeans(X[at, ], na.rm = TRUE); s <- apply(X[at, ], 2, sd, na.rm = TRUE)
  Z <- sweep(sweep(sweep(X, 2, m), 2, s, "/"), 2, dirs, "*")   # elementwise: NA stays local
  nav <- rowSums(!is.na(Z))
  if (weights == "equal") {
    w <- rep(1 / length(comps), length(comps)); load <- NULL; expl <- NULL
  } else {                                                  # PCA on the reference year only
    Zr <- Z[at, ]; Zr <- Zr[complete.cases(Zr), ]
    p <- prcomp(Zr, center = TRUE, scale. = TRUE)
    v <- p$rotation[, 1]; if (sum(v) < 0) v <- -v
    load <- unname(v * p$sdev[1]); expl <- p$sdev[1]^2 / sum(p$sdev^2)
    w <- load / sum(load)
  }
  raw <- apply(Z, 1, function(z) { ok <- !is.na(z); if (sum(ok) < min_k) NA else sum(w[ok] * z[ok]) / sum(w[ok]) })
  center <- mean(raw[at], na.rm = TRUE); scale <- sd(raw[at], na.rm = TRUE)
  est <- (raw - center) / scale
  list(reference_year = r, reference_mean = unname(m), reference_sd = unname(s),
       n_reference = unname(colSums(!is.na(X[at, ]))), weight = w, loading = load,
       explained_variance = expl, z = unname(Z), n_components = unname(nav), index_raw = raw,
       index_center = center, index_scale = scale, est = est,
       year_mean = unname(tapply(est, d$year, mean, na.rm = TRUE)))
}
out$equal <- index_on(2022, "equal")
out$pca <- index_on(2022, "pca")
out$equal_2023 <- index_on(2023, "equal")
out$components <- comps; out$directions <- dirs; out$years <- years
writeLines(toJSON(out, digits = 15, auto_unbox = TRUE, na = "null", null = "null"),
           file.path(ref, "context_wellbeing.json"))
cat("wrote", file.path(ref, "context_wellbeing.json"), "\n")
