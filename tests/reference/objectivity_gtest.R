# Reference values for shnro_research.typology.objectivity: the likelihood-ratio (G) goodness-of-
# fit test of mark counts against reference shares and the binomial tails of the screen.
# Run: Rscript tests/reference/objectivity_gtest.R  (writes objectivity_gtest.json beside it)
library(jsonlite)
cases <- list(
  list(o = c(2, 10, 20, 18), p = c(0.10, 0.40, 0.35, 0.15)),
  list(o = c(0, 12, 25, 30), p = c(0.12, 0.38, 0.30, 0.20)),
  list(o = c(5, 5, 5, 5),    p = c(0.25, 0.25, 0.25, 0.25)),
  list(o = c(0, 3, 0, 9),    p = c(0.00, 0.50, 0.30, 0.20)),
  list(o = c(1, 15, 37, 22), p = c(0.07, 0.33, 0.37, 0.23))
)
gtest <- function(o, p) {
  keep <- o > 0
  G <- 2 * sum(o[keep] * log(o[keep] / (sum(o) * p[keep])))
  df <- sum(p > 0) - 1
  c(G = G, df = df, p_value = pchisq(G, df, lower.tail = FALSE))
}
out <- lapply(cases, function(cs) {
  g <- gtest(cs$o, cs$p)
  n <- sum(cs$o)
  list(observed = cs$o, share = cs$p, G = unname(g["G"]), df = unname(g["df"]),
       p_value = unname(g["p_value"]),
       p_fives = pbinom(cs$o[4] - 1, n, cs$p[4], lower.tail = FALSE),
       p_twos = pbinom(cs$o[1], n, cs$p[1]))
})
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
write_json(list(r_version = R.version.string, cases = out),
           file.path(here, "objectivity_gtest.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
