# Extra reliability reference values (psych 2.2.9) for tests/test_scoring_reliability.py, on
# psych_bfi/data.csv: Feldt CI of listwise alpha (psych::alpha.ci with n after deletion) and
# pairwise alpha per gender (the by= path).
# Run from tests/reference:  Rscript scoring_reliability.R   -> scoring_reliability.json
suppressMessages({library(jsonlite); library(psych)})
d <- read.csv("psych_bfi/data.csv")
keys <- list(agree = c("-A1", "A2", "A3", "A4", "A5"), conscientious = c("C1", "C2", "C3", "-C4", "-C5"),
             extraversion = c("-E1", "-E2", "E3", "E4", "E5"), neuroticism = c("N1", "N2", "N3", "N4", "N5"),
             openness = c("O1", "-O2", "O3", "O4", "-O5"))
keyed <- function(x, k) {
  for (it in k) if (substr(it, 1, 1) == "-") { v <- substring(it, 2); x[[v]] <- 1 + 6 - x[[v]] }
  x[, sub("^-", "", k)]
}
out <- list()
for (s in names(keys)) {
  x <- keyed(d, keys[[s]])
  xl <- x[complete.cases(x), ]
  a <- alpha(xl, check.keys = FALSE)
  ci <- alpha.ci(a$total$raw_alpha, n.obs = nrow(xl), n.var = ncol(xl), p.val = 0.05)
  ci90 <- alpha.ci(a$total$raw_alpha, n.obs = nrow(xl), n.var = ncol(xl), p.val = 0.10)
  by_g <- list()
  for (g in c(1, 2)) {
    ag <- alpha(x[d$gender == g, ], check.keys = FALSE)
    by_g[[as.character(g)]] <- list(raw = ag$total$raw_alpha, std = ag$total$std.alpha,
                                    r_drop = unname(ag$item.stats$r.drop))
  }
  out[[s]] <- list(alpha_listwise = a$total$raw_alpha, n_listwise = nrow(xl),
                   feldt_95 = unname(unlist(ci[c("lower.ci", "upper.ci")])),
                   feldt_90 = unname(unlist(ci90[c("lower.ci", "upper.ci")])),
                   by_gender = by_g)
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "scoring_reliability.json")
