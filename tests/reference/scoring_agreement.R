# Expected agreement indices for tests/test_scoring_agreement.py with multilevel 2.7, on
# multilevel_bhr2000/data.csv with deterministic holes (every 37th row of AF07 and every 53rd
# row of AP12 set to NA) so that the listwise rule (na.exclude) is exercised.
# Run from tests/reference:  Rscript scoring_agreement.R   -> scoring_agreement.json
suppressMessages({library(jsonlite); library(multilevel)})
d <- read.csv("multilevel_bhr2000/data.csv")
i <- seq_len(nrow(d))
d$AF07[i %% 37 == 0] <- NA
d$AP12[i %% 53 == 0] <- NA
items <- c("AF06", "AF07", "AP12", "AP17", "AP33", "AP34", "AS14", "AS15", "AS16", "AS17", "AS28")
rj <- rwg.j(d[, items], d$GRP, ranvar = (5^2 - 1) / 12)
r1 <- rwg(d$AF07, d$GRP, ranvar = 2)
r1b <- rwg(d$AF06, d$GRP, ranvar = 1.5)       # smaller null: some groups truncated to 0
adm <- ad.m(d[, items], d$GRP, type = "mean")
admd <- ad.m(d[, items], d$GRP, type = "median")
ad1 <- ad.m(d$AF07, d$GRP, type = "mean")
m <- aov(AF07 ~ as.factor(GRP), data = d)
cc <- complete.cases(d[, items])
d$scale <- NA; d$scale[cc] <- rowMeans(d[cc, items])
ms <- aov(scale ~ as.factor(GRP), data = d)
out <- list(
  rwg_j = unname(rj$rwg.j), rwg_j_gsize = unname(rj$gsize),
  rwg_af07 = unname(r1$rwg), rwg_af07_gsize = unname(r1$gsize),
  rwg_af06_ranvar15 = unname(r1b$rwg),
  ad_mean = unname(adm$AD.M), ad_median = unname(admd$AD.M), ad_af07 = unname(ad1$AD.M),
  icc1_af07 = ICC1(m), icc2_af07 = ICC2(m),
  icc1_scale = ICC1(ms), icc2_scale = ICC2(ms),
  grpid = as.integer(as.character(rj$grpid)))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "scoring_agreement.json")
