# Expected PVQ-21 scores for tests/test_scoring_values.py, from scoring_pvq/*.csv.
# Run from tests/reference:  Rscript scoring_pvq.R   -> scoring_pvq.json
suppressMessages(library(jsonlite))
d <- read.csv("scoring_pvq/gss12_values_codes.csv")
ess <- c("ipcrtiv", "imprich", "ipeqopt", "ipshabt", "impsafe", "impdiff", "ipfrule", "ipudrst",
         "ipmodst", "ipgdtim", "impfree", "iphlppl", "ipsuces", "ipstrgv", "ipadvnt", "ipbhprp",
         "iprspot", "iplylfr", "impenv", "imptrad", "impfun")
stopifnot(ncol(d) == 21)
names(d) <- ess                      # GSS columns are the ESS items in ESS order
k10 <- read.csv("scoring_pvq/ess_pvq21_keys_ten_values.csv")
k4 <- read.csv("scoring_pvq/ess_pvq21_keys_four_higher_order.csv")
mrat <- rowMeans(d[, ess])
score <- function(keys, col) {
  vals <- unique(keys[[col]])
  res <- list()
  for (v in vals) {
    s <- rowMeans(d[, keys$item[keys[[col]] == v], drop = FALSE])
    res[[v]] <- list(mean = mean(s), sd = sd(s), first_20 = unname(s[1:20]),
                     centred_mean = mean(s - mrat), centred_sd = sd(s - mrat),
                     centred_first_20 = unname((s - mrat)[1:20]),
                     centred_cor_mrat = cor(s - mrat, mrat))
  }
  res
}
out <- list(n = nrow(d), mrat_mean = mean(mrat), mrat_sd = sd(mrat), mrat_first_20 = unname(mrat[1:20]),
            ten = score(k10, "value"), four = score(k4, "higher_order"))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "scoring_pvq.json")
