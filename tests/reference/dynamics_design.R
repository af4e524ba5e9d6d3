# Reference values for shnro_research.dynamics.design_wave_change (tests/test_dynamics.py).
# Run from the project root:  Rscript tests/reference/dynamics_design.R
# Writes tests/reference/dynamics_design.json (data AND expected values; the tests never call R).
#
# Repeated cross-sections in the SAME sampled classes (PSUs): new pupils each wave, but a class
# effect shared by both waves, so the two wave means are positively correlated. The SE of the
# change is taken from svyby(..., covmat = TRUE) + svycontrast (Taylor linearisation).
library(survey)
library(jsonlite)
set.seed(777)
classes <- data.frame(class_id = sprintf("C%02d", 1:16), stratum = rep(c("city", "village"), each = 8),
                      u = rnorm(16, 0, 0.6), w = round(runif(16, 5, 25), 1))
rows <- list()
for (wave in c(2022, 2024)) {
  for (k in seq_len(nrow(classes))) {
    n <- sample(8:15, 1)
    y <- 3 + classes$u[k] + (wave == 2024) * 0.3 * (classes$stratum[k] == "city") + rnorm(n, 0, 0.8)
    rows[[length(rows) + 1]] <- data.frame(class_id = classes$class_id[k], stratum = classes$stratum[k],
                                           wave = wave, w = classes$w[k] * runif(n, 0.9, 1.1), y = round(y, 3))
  }
}
d <- do.call(rbind, rows)
d$y[c(5, 40, 77)] <- NA
des0 <- svydesign(ids = ~class_id, strata = ~stratum, weights = ~w, data = d)
# svyby(covmat = TRUE, na.rm = TRUE) fails in survey 4.1 when y has NAs; subset() keeps the
# full design information (domain estimation), which is what "missing = available" means
des <- subset(des0, !is.na(y))

by_s <- svyby(~y, ~stratum + wave, des, svymean, covmat = TRUE, na.rm = TRUE)
# rows: city.2022, village.2022, city.2024, village.2024
cc <- svycontrast(by_s, list(city = c(-1, 0, 1, 0), village = c(0, -1, 0, 1)))
by_all <- svyby(~y, ~wave, des, svymean, covmat = TRUE, na.rm = TRUE)
ca <- svycontrast(by_all, c(-1, 1))
out <- list(R_version = R.version.string, survey_version = as.character(packageVersion("survey")),
            data = d,
            strata = list(names = rownames(by_s), est = unname(coef(by_s)), se = unname(SE(by_s)),
                          diff = unname(coef(cc)), diff_se = unname(SE(cc))),
            overall = list(est = unname(coef(by_all)), se = unname(SE(by_all)),
                           diff = unname(coef(ca)), diff_se = unname(SE(ca))),
            degf = degf(des0))
write_json(out, "tests/reference/dynamics_design.json", digits = NA, auto_unbox = TRUE,
           na = "null", pretty = TRUE, dataframe = "columns")
cat("wrote tests/reference/dynamics_design.json\n")
