# Expected values for tests/test_scoring_{tension,needs,multiresponse,values}.py computed by R
# from scoring_survey/data.csv (synthetic, made by scoring_make_data.py).
# Run from tests/reference:  Rscript scoring_survey.R   -> scoring_survey.json
suppressMessages({library(jsonlite); library(survey)})
d <- read.csv("scoring_survey/data.csv")
out <- list()

## tension index: t1..t3 as is, t4, t5 reversed (1 + 5 - x); 0-100; at least 3 answered
y <- cbind(d$t1, d$t2, d$t3, 6 - d$t4, 6 - d$t5)
y <- 100 * (y - 1) / 4
nv <- rowSums(!is.na(y))
tens <- rowMeans(y, na.rm = TRUE)
tens[nv < 3] <- NA
d$tension <- tens
out$tension_index <- tens
out$tension_n_valid <- nv

## tension summary per school x group: unweighted mean, sd/sqrt(n); weighted via survey
cells <- split(d, list(d$school, d$group), drop = TRUE)
summ <- lapply(cells, function(cd) {
  cd <- cd[!is.na(cd$tension), ]
  des <- svydesign(ids = ~1, weights = ~w, data = cd)
  m <- svymean(~tension, des)
  list(school = cd$school[1], group = cd$group[1], n = nrow(cd),
       mean = mean(cd$tension), se = sd(cd$tension) / sqrt(nrow(cd)),
       wmean = unname(coef(m)), wse = as.numeric(SE(m)))
})
out$tension_summary <- unname(summ)

## balance index of t1 by group: negative 4,5; positive 1,2 (unweighted and weighted)
bal <- lapply(split(d, d$group), function(gd) {
  x <- gd$t1; w <- gd$w[!is.na(x)]; x <- x[!is.na(x)]
  dd <- 100 * ((x %in% c(4, 5)) - (x %in% c(1, 2)))
  des <- svydesign(ids = ~1, weights = ~w, data = data.frame(dd = dd, w = w))
  list(group = gd$group[1], n = length(x), pct_negative = 100 * mean(x %in% c(4, 5)),
       pct_positive = 100 * mean(x %in% c(1, 2)), est = mean(dd),
       se = sd(dd) / sqrt(length(dd)), west = unname(coef(svymean(~dd, des))),
       wse = as.numeric(SE(svymean(~dd, des))))
})
out$balance_t1 <- unname(bal)

## group comparison within school 1: Welch t test student vs teacher
s1 <- d[d$school == 1 & d$group %in% c("student", "teacher") & !is.na(d$tension), ]
tt <- t.test(tension ~ factor(group, levels = c("student", "teacher")), data = s1)
out$compare_school1 <- list(est = unname(tt$estimate[1] - tt$estimate[2]),
                            statistic = unname(tt$statistic), df = unname(tt$parameter),
                            p_value = tt$p.value, ci = unname(tt$conf.int))

## needs: paired t test on complete pairs, overall and by group
needs <- c("safety", "respect", "growth")
nd <- list()
for (nm in needs) {
  for (g in c("all", "parent", "student", "teacher")) {
    dd <- if (g == "all") d else d[d$group == g, ]
    ok <- !is.na(dd[[paste0("imp_", nm)]]) & !is.na(dd[[paste0("real_", nm)]])
    a <- dd[[paste0("imp_", nm)]][ok]; b <- dd[[paste0("real_", nm)]][ok]
    tt <- t.test(a, b, paired = TRUE)
    nd[[length(nd) + 1]] <- list(need = nm, group = g, n = sum(ok), mean_importance = mean(a),
      mean_realisation = mean(b), est = unname(tt$estimate), se = unname(tt$stderr),
      statistic = unname(tt$statistic), df = unname(tt$parameter), p_value = tt$p.value,
      ci = unname(tt$conf.int))
  }
}
out$needs <- nd

## multiple response: success_1..6; base = respondents with any answer
items <- paste0("success_", 1:6)
base <- rowSums(!is.na(d[, items])) > 0
mr <- list()
for (g in c("parent", "student", "teacher")) {
  sel <- base & d$group == g
  X <- as.matrix(d[sel, items]); X[is.na(X)] <- 0; w <- d$w[sel]
  cnt <- colSums(X == 1); wcnt <- colSums((X == 1) * w)
  mr[[g]] <- list(n = sum(sel), pct_respondents = unname(100 * cnt / sum(sel)),
                  pct_responses = unname(100 * cnt / sum(cnt)),
                  wpct_respondents = unname(100 * wcnt / sum(w)),
                  wpct_responses = unname(100 * wcnt / sum(wcnt)))
}
out$mr <- mr
mrt <- lapply(items, function(it) {
  x <- d[base, it]; x[is.na(x)] <- 0
  tab <- table(x == 1, d$group[base])
  ct <- suppressWarnings(chisq.test(tab, correct = FALSE))
  list(option = it, statistic = unname(ct$statistic), df = unname(ct$parameter),
       p_value = ct$p.value, cramers_v = sqrt(unname(ct$statistic) / (sum(tab) * (min(dim(tab)) - 1))))
})
out$mr_tests <- mrt

## single-response cross-table q_single x group, and a 2 x 2 with Yates' correction
ok <- !is.na(d$q_single)
tab <- table(d$q_single[ok], d$group[ok])
ct <- chisq.test(tab, correct = FALSE)
out$chisq_single <- list(statistic = unname(ct$statistic), df = unname(ct$parameter),
  p_value = ct$p.value, n = sum(tab),
  cramers_v = sqrt(unname(ct$statistic) / (sum(tab) * (min(dim(tab)) - 1))))
tab2 <- table(d$q_single[ok] <= 2, d$group[ok] == "teacher")
ct2 <- chisq.test(tab2, correct = TRUE)
out$chisq_2x2_yates <- list(statistic = unname(ct2$statistic), df = unname(ct2$parameter),
  p_value = ct2$p.value)

## Rokeach ranks r1..r18: valid = permutation of 1..18
rk <- paste0("r", 1:18)
R <- as.matrix(d[, rk])
valid <- apply(R, 1, function(r) all(!is.na(r)) && all(sort(r) == 1:18))
out$rokeach_n_invalid <- sum(!valid)
rs <- list()
for (g in c("parent", "student", "teacher")) {
  M <- R[valid & d$group == g, ]
  fr <- friedman.test(M)
  m <- nrow(M)
  rs[[g]] <- list(n = m, median_rank = unname(apply(M, 2, median)),
                  mean_rank = unname(colMeans(M)), share_top3 = unname(colMeans(M <= 3)),
                  kendall_w = unname(fr$statistic) / (m * (18 - 1)),
                  chisq = unname(fr$statistic), p_value = fr$p.value)
}
out$rokeach <- rs
# W with ties: every complete row (ties, out-of-range, non-integer rows re-ranked)
comp <- complete.cases(R)
fr <- friedman.test(t(apply(R[comp, ], 1, rank)))
out$kendall_w_ties_all <- list(n = sum(comp),
  w = unname(fr$statistic) / (sum(comp) * 17), chisq = unname(fr$statistic), p_value = fr$p.value)
mr_ <- sapply(rs, function(z) z$mean_rank)
out$hierarchy <- list(
  spearman_parent_student = cor(mr_[, "parent"], mr_[, "student"], method = "spearman"),
  kendall_parent_student = cor(mr_[, "parent"], mr_[, "student"], method = "kendall"),
  spearman_student_teacher = cor(mr_[, "student"], mr_[, "teacher"], method = "spearman"),
  kendall_student_teacher = cor(mr_[, "student"], mr_[, "teacher"], method = "kendall"))

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           "scoring_survey.json")
cat("R", R.version$major, R.version$minor, "survey", as.character(packageVersion("survey")), "\n")
