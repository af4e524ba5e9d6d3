# Reference values of the programme indicators (tests/test_catalogues.py::test_against_r).
# Base R only; run: Rscript tests/reference/indicators.R > tests/reference/indicators.json
# Data: 6 schools x 3 years, written out below (the test builds the same tables).
school <- rep(c("A", "B", "C", "D", "E", "F"), each = 3)
year <- rep(c(2021, 2022, 2023), times = 6)
n_students <- c(100, 110, 120, 200, 200, 210, 300, 290, 280, 150, 160, 170, 250, 240, 230, 90, 95, 100)
n_iom <- c(10, 20, 30, 5, 15, 25, 30, 20, 60, 0, 8, 17, 25, 24, 46, 9, 19, 30)
fail_pct <- c(8, 6, 5, 4, 5, 3, 10, 9, 9, 6, 6, 4, 2, 3, 2, 7, 5, 6)
low <- c(1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 1, NA, 1)
unf <- c(1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1)
d <- data.frame(school, year, n_students, n_iom, fail_pct, low, unf)

# share of pupils with an individual plan among the low-result schools of the same year
iom <- sapply(c(2021, 2022, 2023), function(y) {
  s <- d[d$year == y & !is.na(d$low) & d$low == 1, ]
  100 * sum(s$n_iom) / sum(s$n_students)
})
# share of schools whose fail_pct fell since the previous year, among the schools that were
# low-result in the previous year
fell <- sapply(c(2022, 2023), function(y) {
  b <- d[d$year == y - 1 & !is.na(d$low) & d$low == 1, "school"]
  x <- merge(d[d$year == y - 1, c("school", "fail_pct")], d[d$year == y, c("school", "fail_pct")],
             by = "school", suffixes = c("_0", "_1"))
  x <- x[x$school %in% b, ]
  c(est = 100 * mean(x$fail_pct_1 < x$fail_pct_0), n = nrow(x))
})
# share of schools with low results and unfavourable context (schools with a status)
both <- sapply(c(2021, 2022, 2023), function(y) {
  s <- d[d$year == y & !is.na(d$low) & !is.na(d$unf), ]
  c(est = 100 * mean(s$low == 1 & s$unf == 1), n = nrow(s))
})
# degree of achievement: (v - b) / (t - b) capped to [0, 1]; target 30 % in 2023, baseline =
# the first value observed before 2023 (2021)
deg <- function(v, t, b) pmin(pmax((v - b) / (t - b), 0), 1)
out <- list(
  iom_share = iom,
  fail_fell = unname(fell["est", ]), fail_fell_n = unname(fell["n", ]),
  low_and_unfavourable = unname(both["est", ]), low_and_unfavourable_n = unname(both["n", ]),
  iom_degree_2023 = deg(iom[3], 30, iom[1]),
  iom_achieved_2023 = iom[3] >= 30
)
cat(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "\n")
