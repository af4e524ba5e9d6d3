# Reference values for shnro_research.dynamics (tests/test_dynamics.py).
# Run from the project root:  Rscript tests/reference/dynamics_effsize.R
# Writes tests/reference/dynamics_effsize.json (data AND expected values; the tests never call R).
#
# r-cran-effsize is not packaged in Debian (bookworm), so effsize's formulas are re-implemented
# here in base R following effsize 0.8.1 (R/CohenD.R, R/CliffDelta.R) -- the Cliff's delta
# variance through the explicit n1 x n2 dominance matrix (effsize's "naive" algorithm), which is
# independent of the O(n log n) algorithm used in Python.
library(jsonlite)
set.seed(20240615)

hedges <- function(x, y, conf.level = 0.95) {   # effsize::cohen.d(x, y, hedges.correction=TRUE)
  n1 <- length(x); n2 <- length(y)
  sp <- sqrt(((n1 - 1) * var(x) + (n2 - 1) * var(y)) / (n1 + n2 - 2))
  d <- (mean(x) - mean(y)) / sp
  J <- 1 - 3 / (4 * (n1 + n2) - 9)
  g <- d * J
  S <- sqrt((n1 + n2) / (n1 * n2) + .5 * g^2 / (n1 + n2)) * J
  Z <- -qt((1 - conf.level) / 2, n1 + n2 - 2)
  list(g = g, d = d, J = J, se = S, lower = g - Z * S, upper = g + Z * S)
}

cliff <- function(x, y, conf.level = 0.95) {     # effsize::cliff.delta(x, y, return.dm=TRUE)
  n1 <- length(x); n2 <- length(y)
  dom <- sign(outer(x, y, "-"))
  d <- mean(dom)
  rescale <- (n1 * n2 - 1) / (n1 * n2)
  d. <- ifelse(abs(d) == 1, d * rescale, d)
  di <- rowMeans(dom); dj <- colMeans(dom)
  SSR <- sum((dom - d.)^2)
  S <- (n2^2 * sum((di - d.)^2) + n1^2 * sum((dj - d.)^2) - SSR) / (n1 * n2 * (n1 - 1) * (n2 - 1))
  Z <- -qt((1 - conf.level) / 2, n1 + n2 - 2)
  lo <- (d. - d.^3 - Z * sqrt(S) * sqrt((1 - d.^2)^2 + Z^2 * S)) / (1 - d.^2 + Z^2 * S)
  hi <- (d. - d.^3 + Z * sqrt(S) * sqrt((1 - d.^2)^2 + Z^2 * S)) / (1 - d.^2 + Z^2 * S)
  if (d == 1) hi <- 1
  if (d == -1) lo <- -1
  list(delta = d, var = S, lower = lo, upper = hi)
}

cases <- list(
  normal = list(x = round(rnorm(50, 0.3), 4), y = round(rnorm(40), 4), conf = 0.95),
  likert = list(x = sample(1:5, 120, TRUE, prob = c(.1, .2, .3, .25, .15)),
                y = sample(1:5, 95, TRUE, prob = c(.2, .25, .3, .15, .1)), conf = 0.95),
  small  = list(x = c(3.1, 2.4, 5.0, 4.2, 3.3), y = c(2.0, 2.9, 3.3, 1.7), conf = 0.90),
  disjoint = list(x = c(10, 11, 12, 13, 15, 14), y = c(1, 2, 3, 4, 2), conf = 0.95),
  treatment_control = list(x = c(10,10,20,20,20,30,30,30,40,50), y = c(10,20,30,40,40,50), conf = 0.95)
)
effect <- lapply(cases, function(cs) list(x = cs$x, y = cs$y, conf = cs$conf,
                                            hedges = hedges(cs$x, cs$y, cs$conf),
                                            cliff = cliff(cs$x, cs$y, cs$conf)))

# Cramér's V: waves x categories
wave <- rep(c(2022, 2023, 2024), c(150, 130, 140))
answer <- c(sample(1:4, 150, TRUE, prob = c(.4, .3, .2, .1)),
            sample(1:4, 130, TRUE, prob = c(.35, .3, .2, .15)),
            sample(1:4, 140, TRUE, prob = c(.25, .3, .25, .2)))
ch <- chisq.test(table(wave, answer), correct = FALSE)
V <- sqrt(unname(ch$statistic) / (sum(ch$observed) * (min(dim(ch$observed)) - 1)))
ch2 <- chisq.test(table(wave[wave != 2023], answer[wave != 2023]), correct = FALSE)
V2 <- sqrt(unname(ch2$statistic) / (sum(ch2$observed) * (min(dim(ch2$observed)) - 1)))
cramer <- list(wave = wave, answer = answer,
               all = list(V = V, chisq = unname(ch$statistic), df = unname(ch$parameter), p = ch$p.value),
               w2022_2024 = list(V = V2, chisq = unname(ch2$statistic), df = unname(ch2$parameter),
                                 p = ch2$p.value))

# p.adjust, with ties and a missing value
p <- c(runif(25)^3, 0.01, 0.01, 0.04, NA, 0.5, 1)
methods <- c("holm", "hochberg", "bonferroni", "BH", "BY", "fdr", "none")
padj <- setNames(lapply(methods, function(m) p.adjust(p, m)), methods)
padj_n <- p.adjust(p, "holm", n = 40)

# rank correlation of two hierarchies (18 Rokeach values), without and with ties
h1 <- sample(18) + round(runif(18, -0.4, 0.4), 3)
h2 <- h1 + rnorm(18, 0, 4)
s <- cor.test(h1, h2, method = "spearman", exact = FALSE)
k <- cor.test(h1, h2, method = "kendall")
t1 <- c(1, 2, 2, 4, 5, 6, 7, 7, 9, 10, 11, 12)
t2 <- c(2, 1, 3, 3, 6, 5, 8, 7, 7, 12, 10, 11)
st <- suppressWarnings(cor.test(t1, t2, method = "spearman", exact = FALSE))
kt <- suppressWarnings(cor.test(t1, t2, method = "kendall", exact = FALSE))
ranks <- list(h1 = h1, h2 = h2, spearman = list(rho = unname(s$estimate), S = unname(s$statistic), p = s$p.value),
              kendall = list(tau = unname(k$estimate), p = k$p.value),
              t1 = t1, t2 = t2,
              spearman_ties = list(rho = unname(st$estimate), p = st$p.value),
              kendall_ties = list(tau = unname(kt$estimate), z = unname(kt$statistic), p = kt$p.value))

# wave change: z test and Welch-Satterthwaite t test of independent estimates
e1 <- 3.10; s1 <- 0.12; d1 <- 14; e2 <- 2.80; s2 <- 0.09; d2 <- 19
sd_ <- sqrt(s1^2 + s2^2)
dfw <- (s1^2 + s2^2)^2 / (s1^4 / d1 + s2^4 / d2)
change <- list(e1 = e1, s1 = s1, d1 = d1, e2 = e2, s2 = s2, d2 = d2, diff = e2 - e1, se = sd_,
               z_p = 2 * pnorm(-abs((e2 - e1) / sd_)), df = dfw, t_p = 2 * pt(-abs((e2 - e1) / sd_), dfw),
               t_ci = (e2 - e1) + c(-1, 1) * qt(0.975, dfw) * sd_,
               mdc_z = (qnorm(0.975) + qnorm(0.8)) * sd_, mdc_t = (qt(0.975, dfw) + qt(0.8, dfw)) * sd_)

out <- list(R_version = R.version.string, effect = effect, cramer = cramer,
            p = p, p_adjust = padj, p_adjust_holm_n40 = padj_n, ranks = ranks, change = change)
write_json(out, "tests/reference/dynamics_effsize.json", digits = NA, auto_unbox = TRUE,
           na = "null", pretty = TRUE)
cat("wrote tests/reference/dynamics_effsize.json\n")
