# Reference values for tests/test_register.py: the school register computed step by step in
# base R on tests/reference/register/{results,context}.csv (made by register_make_data.py).
# Run from the repository root:  Rscript tests/reference/register.R
# Writes tests/reference/register.json.
suppressPackageStartupMessages(library(jsonlite))
ref <- "tests/reference/register"
r <- read.csv(file.path(ref, "results.csv"))
cx <- read.csv(file.path(ref, "context.csv"))
P <- list(low_threshold = 0.3, min_procedures = 2, min_participants = 5, low_context = -0.43,
          benchmark = 0, crisis_sd = 3, improvement_sd = 3, improvement_years = 2,
          reference_year = 2020)
years <- sort(unique(c(r$year, cx$year)))

## results index on the reference year's scale
key <- paste(r$procedure, r$subject, r$grade)
rr <- r[r$year == P$reference_year, ]; kr <- paste(rr$procedure, rr$subject, rr$grade)
m <- tapply(rr$mean_score, kr, mean); s <- tapply(rr$mean_score, kr, sd)
r$z <- (r$mean_score - m[key]) / s[key]
ri <- do.call(rbind, lapply(split(r, list(r$school_id, r$year), drop = TRUE), function(d)
  data.frame(school_id = d$school_id[1], year = d$year[1],
             est = weighted.mean(d$z, d$n_participants))))

## share below the minimum per procedure; failed procedures; low results
r$nb <- r$below_min_pct / 100 * r$n_participants
sh <- aggregate(cbind(nb, n_participants) ~ school_id + year + procedure, r, sum)
sh$share <- sh$nb / sh$n_participants
sh$judged <- sh$n_participants >= P$min_participants
sh$fail <- sh$judged & sh$share >= P$low_threshold
sh <- sh[order(sh$school_id, sh$procedure, sh$year), ]
sh$pos <- match(sh$year, years)
prev <- c(NA, head(sh$fail, -1)); prev_pos <- c(NA, head(sh$pos, -1))
same <- c(FALSE, head(sh$school_id, -1) == tail(sh$school_id, -1) &
                 head(sh$procedure, -1) == tail(sh$procedure, -1))
sh$repeat_fail <- sh$fail & same & !is.na(prev) & prev & (sh$pos - prev_pos == 1)
low <- aggregate(cbind(n_procedures = judged, n_failed = fail, rep = repeat_fail) ~ school_id + year,
                 sh, sum)
low$low_results <- low$n_failed >= P$min_procedures | low$rep > 0

## context on the reference year's scale; low context
cr <- cx$est[cx$year == P$reference_year]
cx$context_z <- (cx$est - mean(cr, na.rm = TRUE)) / sd(cr, na.rm = TRUE)
cx$unfavourable_context <- cx$context_z <= P$low_context

reg <- merge(merge(ri, low[, c("school_id", "year", "n_procedures", "n_failed", "low_results")]),
             cx[, c("school_id", "year", "context_z", "unfavourable_context")], all = TRUE)
reg <- reg[order(reg$school_id, reg$year), ]
reg$pos <- match(reg$year, years)
n <- nrow(reg); same <- c(FALSE, reg$school_id[-1] == reg$school_id[-n])
reg$change <- ifelse(same & c(NA, diff(reg$pos)) == 1, c(NA, diff(reg$est)), NA)
sd_change <- mad(reg$change, na.rm = TRUE)           # 1.4826 x median absolute deviation
reg$crisis <- reg$change <= -P$crisis_sd * sd_change
k <- P$improvement_years
lagk <- function(x, j) {   # x of the same school j rows earlier
  if (j == 0) return(x)
  y <- c(rep(NA, j), head(x, -j)); sid <- c(rep(NA, j), head(reg$school_id, -j))
  y[is.na(sid) | sid != reg$school_id] <- NA; y }
steps <- matrix(sapply(0:(k - 1), function(j) lagk(reg$change, j)), nrow = n)
reg$rise <- ifelse(rowSums(is.na(steps)) == 0, rowSums(steps), NA)
reg$improvement <- ifelse(is.na(reg$rise), NA, apply(steps > 0, 1, all) & reg$rise >= P$improvement_sd * sd_change)
reg$resilient <- reg$unfavourable_context & !reg$low_results & reg$est >= P$benchmark
reg$four_group <- ifelse(is.na(reg$unfavourable_context), NA,
  ifelse(reg$low_results & reg$unfavourable_context, "low_results_low_context",
  ifelse(reg$low_results, "low_results_only",
  ifelse(reg$unfavourable_context, "low_context_only", "neither"))))

## transitions of resilient and the four groups between consecutive years
tr <- function(x) {
  nxt <- c(x[-1], NA); ok <- c(reg$school_id[-1] == reg$school_id[-n], FALSE) & !is.na(x) & !is.na(nxt)
  as.data.frame(table(from_year = reg$year[ok], from_state = x[ok], to_state = nxt[ok]), stringsAsFactors = FALSE)
}
rs <- ifelse(reg$resilient, "resilient", "not_resilient")
out <- list(R_version = R.version.string, params = P, change_sd = sd_change,
            register = reg[, c("school_id", "year", "est", "n_procedures", "n_failed", "low_results",
                               "context_z", "unfavourable_context", "change", "rise", "crisis",
                               "improvement", "resilient", "four_group")],
            transitions_resilient = subset(tr(rs), Freq > 0),
            transitions_four_group = subset(tr(reg$four_group), Freq > 0))
writeLines(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE, pretty = FALSE),
           "tests/reference/register.json")
