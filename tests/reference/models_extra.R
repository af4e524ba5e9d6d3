# Extra reference values for shnro_research.models (tests/test_models_*.py).
# Run from the project root:  Rscript tests/reference/models_extra.R
# Writes tests/reference/models_extra.json and tests/reference/models_nested.csv,
# tests/reference/models_singular.csv. R 4.2.2, lme4 1.1-31, sandwich 3.0-2, clubSandwich 0.5.8.
suppressPackageStartupMessages({
  library(lme4); library(sandwich); library(clubSandwich); library(jsonlite); library(mlmRev)
})
out <- list()
vc <- function(m) { v <- as.data.frame(VarCorr(m)); setNames(as.list(v$vcov), v$grp) }
re_tab <- function(m, term, k = 10) {
  r <- ranef(m, condVar = TRUE)[[term]]
  pv <- attr(r, "postVar")
  list(id = rownames(r)[1:k], effect = unname(r[1:k, 1]), se = sqrt(pv[1, 1, 1:k]))
}
fit_info <- function(m) {
  list(coef = as.list(fixef(m)), se = as.list(sqrt(diag(as.matrix(vcov(m))))),
       varcorr = vc(m), loglik = as.numeric(logLik(m)), aic = AIC(m), bic = BIC(m),
       theta = unname(getME(m, "theta")), singular = isSingular(m), sigma = sigma(m))
}

## 1. Exam: conditional SE of the school effects, AIC/BIC, null ML
data(Exam, package = "mlmRev")
m1 <- lmer(normexam ~ standLRT + schavg + (1 | school), Exam, REML = TRUE)
m0ml <- lmer(normexam ~ 1 + (1 | school), Exam, REML = FALSE)
m1ml <- lmer(normexam ~ standLRT + schavg + (1 | school), Exam, REML = FALSE)
m0 <- lmer(normexam ~ 1 + (1 | school), Exam, REML = TRUE)
out$exam <- list(reml = fit_info(m1), ranef = re_tab(m1, "school"), null_ml = fit_info(m0ml),
                 ml = fit_info(m1ml),
                 lrt = list(chisq = anova(m0ml, m1ml)$Chisq[2], df = anova(m0ml, m1ml)$Df[2],
                            p = anova(m0ml, m1ml)[["Pr(>Chisq)"]][2]))
# variance explained by hand (Raudenbush-Bryk, Snijders-Bosker with harmonic mean size)
v0 <- vc(m0); v1 <- vc(m1); nt <- 1 / mean(1 / table(Exam$school))
out$exam$r2 <- list(rb_pupil = 1 - v1$Residual / v0$Residual, rb_school = 1 - v1$school / v0$school,
                    sb_pupil = 1 - (v1$Residual + v1$school) / (v0$Residual + v0$school),
                    sb_school = 1 - (v1$Residual / nt + v1$school) / (v0$Residual / nt + v0$school))

# contextual effect: school mean of standLRT; school-level OLS residuals (school means)
Exam$lrt_mean <- ave(Exam$standLRT, Exam$school)
Exam$lrt_cwc <- Exam$standLRT - Exam$lrt_mean
mc <- lmer(normexam ~ standLRT + lrt_mean + (1 | school), Exam)
mw <- lmer(normexam ~ lrt_cwc + lrt_mean + (1 | school), Exam)
sm <- aggregate(cbind(normexam, standLRT) ~ school, Exam, mean)
ls <- lm(normexam ~ standLRT, sm)
out$exam$contextual <- list(coef = as.list(fixef(mc)), se = as.list(sqrt(diag(as.matrix(vcov(mc))))),
                            coef_cwc = as.list(fixef(mw)))
out$exam$school_ols <- list(school = as.character(sm$school[1:10]),
                            resid = unname(residuals(ls)[1:10]), coef = as.list(coef(ls)))

## 2. Three-level nested model on simulated data (class labels repeat across schools)
set.seed(20261122)
S <- 60
rows <- list()
for (s in 1:S) {
  K <- sample(2:5, 1); zs <- rnorm(1); us <- rnorm(1, 0, 0.6)
  for (k in 1:K) {
    n <- sample(4:25, 1); vk <- rnorm(1, 0, 0.4)
    x <- rnorm(n)
    y <- 1 + 0.5 * x + 0.3 * zs + us + vk + rnorm(n)
    rows[[length(rows) + 1]] <- data.frame(school = sprintf("S%03d", s), class = k, x = x, z = zs, y = y)
  }
}
nest <- do.call(rbind, rows)
nest$x[c(5, 77)] <- NA            # listwise deletion must handle these
write.csv(nest, "tests/reference/models_nested.csv", row.names = FALSE, na = "")
n3 <- lmer(y ~ x + z + (1 | school/class), nest, REML = TRUE)
n3ml <- lmer(y ~ x + z + (1 | school/class), nest, REML = FALSE)
n30 <- lmer(y ~ 1 + (1 | school/class), nest, REML = TRUE)
# lme4's default nloptwrap tolerances (ftol_abs = 1e-8) leave the flat variance components
# ~1e-5 from the optimum; the *_tight fits tighten them so that values agree to 1e-6.
tight <- lmerControl(optimizer = "nloptwrap",
                     optCtrl = list(ftol_abs = 1e-14, xtol_abs = 1e-12, ftol_rel = 1e-15,
                                    xtol_rel = 1e-12, maxeval = 1e5))
out$nested_tight <- list(
  reml = fit_info(update(n3, control = tight)), ml = fit_info(update(n3ml, control = tight)),
  null = fit_info(update(n30, control = tight)),
  ranef_class = re_tab(update(n3, control = tight), "class:school"))
out$nested <- list(reml = fit_info(n3), ml = fit_info(n3ml), null = fit_info(n30),
                   ranef_school = re_tab(n3, "school"), ranef_class = re_tab(n3, "class:school"))

## 3. Pastes (lme4): strength ~ 1 + (1 | batch/cask)
data(Pastes, package = "lme4")
pa <- lmer(strength ~ 1 + (1 | batch/cask), Pastes, REML = TRUE)
write.csv(Pastes[, c("strength", "batch", "cask")], "tests/reference/models_pastes.csv",
          row.names = FALSE)
out$pastes <- list(reml = fit_info(pa), reml_tight = fit_info(update(pa, control = tight)), ranef_batch = re_tab(pa, "batch"),
                   ranef_cask = re_tab(pa, "cask:batch"))

## 4. Singular fit: group means of y made identical -> school variance estimate 0
set.seed(7)
g <- rep(1:30, each = 10); x <- rnorm(300); e <- rnorm(300)
y <- 2 + x + e - ave(e, g)
sing <- data.frame(g = g, x = x, y = y)
write.csv(sing, "tests/reference/models_singular.csv", row.names = FALSE)
ms <- suppressMessages(lmer(y ~ x + (1 | g), sing, REML = TRUE))
out$singular <- fit_info(ms)

## 5. OLS on apipop: HC1, HC3, cluster CR1 (sandwich vcovCL HC1), CR2 (clubSandwich), weights
data(api, package = "survey")
m <- lm(api00 ~ meals + ell + avg.ed, apipop)
cl <- apipop$dnum[as.integer(rownames(model.frame(m)))]
G <- length(unique(cl))
se <- function(V) as.list(sqrt(diag(V)))
out$ols <- list(
  n = nobs(m), aic = AIC(m), bic = BIC(m), adj_r2 = summary(m)$adj.r.squared,
  loglik = as.numeric(logLik(m)),
  se_hc1 = se(vcovHC(m, type = "HC1")), se_hc3 = se(vcovHC(m, type = "HC3")),
  se_cr1 = se(vcovCL(m, cluster = cl, type = "HC1")),
  se_cr2 = se(as.matrix(vcovCR(m, cluster = cl, type = "CR2"))), G = G,
  p_cr1 = as.list(2 * pt(abs(coef(m) / sqrt(diag(vcovCL(m, cluster = cl, type = "HC1")))),
                        G - 1, lower.tail = FALSE)))
mw <- lm(api00 ~ meals + ell + avg.ed, apipop, weights = api.stu)
clw <- apipop$dnum[as.integer(rownames(model.frame(mw)))]
out$wls <- list(n = nobs(mw), coef = as.list(coef(mw)), se = se(vcov(mw)),
                r2 = summary(mw)$r.squared, sigma = sigma(mw), aic = AIC(mw),
                se_cr1 = se(vcovCL(mw, cluster = clw, type = "HC1")),
                se_hc3 = se(vcovHC(mw, type = "HC3")))
writeLines(toJSON(out, digits = 15, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/models_extra.json")
cat("written\n")
