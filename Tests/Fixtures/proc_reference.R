# Reference numbers for ZooMetrics from R's pROC (AUC, DeLong variance and CI, roc.test) and,
# when installed, Hmisc's improveProb (category-free NRI and IDI).
#
#   Rscript Tests/Fixtures/proc_reference.R
#
# Debian: apt-get install r-base-core r-cran-proc (r-cran-hmisc for the NRI/IDI file).
# Writes $ZOO_FIXTURES/proc/*.json (default ~/.cache/zoo/fixtures/proc). The score sets are
# generated here with a fixed seed and written into the JSON with the results, so the Swift
# test reads exactly the cases pROC saw. Every ROC is built with levels = c(0, 1) and
# direction = "<" (higher score = positive), Zoo's convention; pROC's default "auto" could
# flip a curve whose AUC is below 0.5.

suppressPackageStartupMessages(library(pROC))

root <- Sys.getenv("ZOO_FIXTURES", file.path(Sys.getenv("HOME"), ".cache/zoo/fixtures"))
out <- file.path(root, "proc")
dir.create(out, recursive = TRUE, showWarnings = FALSE)

num <- function(x) paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]")
field <- function(name, value) sprintf("\"%s\": %s", name, value)

roc_of <- function(labels, scores) {
  roc(labels, scores, levels = c(0, 1), direction = "<", quiet = TRUE)
}

# One single-model entry: AUC, DeLong variance and 95% CI.
single <- function(labels, scores) {
  r <- roc_of(labels, scores)
  ci <- ci.auc(r, method = "delong", conf.level = 0.95)
  c(field("auc", sprintf("%.17g", as.numeric(auc(r)))),
    field("variance", sprintf("%.17g", var(r, method = "delong"))),
    field("ci", num(c(ci[1], ci[3]))))
}

write_set <- function(name, labels, scores, scores2 = NULL, labels_b = NULL, scores_b = NULL) {
  parts <- c(field("name", sprintf("\"%s\"", name)),
             field("labels", num(labels)), field("scores", num(scores)),
             single(labels, scores))
  if (!is.null(scores2)) {
    r1 <- roc_of(labels, scores)
    r2 <- roc_of(labels, scores2)
    t <- roc.test(r1, r2, method = "delong", paired = TRUE)
    parts <- c(parts, field("scores2", num(scores2)),
               sprintf("\"second\": {%s}", paste(single(labels, scores2), collapse = ", ")),
               sprintf("\"paired\": {%s}", paste(c(
                 field("z", sprintf("%.17g", t$statistic)),
                 field("p", sprintf("%.17g", t$p.value))), collapse = ", ")))
  }
  if (!is.null(scores_b)) {
    r1 <- roc_of(labels, scores)
    rb <- roc_of(labels_b, scores_b)
    t <- roc.test(r1, rb, method = "delong", paired = FALSE)
    parts <- c(parts, field("labelsB", num(labels_b)), field("scoresB", num(scores_b)),
               sprintf("\"unpaired\": {%s}", paste(c(
                 field("t", sprintf("%.17g", t$statistic)),
                 field("df", sprintf("%.17g", t$parameter)),
                 field("p", sprintf("%.17g", t$p.value))), collapse = ", ")))
  }
  writeLines(paste0("{", paste(parts, collapse = ",\n "), "}"), file.path(out, paste0(name, ".json")))
}

set.seed(20240607)

# 1. Continuous scores, moderate size, two correlated models and an independent sample.
n1 <- 60; n0 <- 45
labels <- c(rep(1, n1), rep(0, n0))
latent <- c(rnorm(n1, 1), rnorm(n0, 0))
a <- round(plogis(latent + rnorm(n1 + n0, 0, 0.5)), 4)
b <- round(plogis(0.6 * latent + rnorm(n1 + n0, 0, 0.8)), 4)
labels_b <- c(rep(1, 35), rep(0, 50))
scores_b <- round(plogis(c(rnorm(35, 0.7), rnorm(50, 0))), 4)
write_set("continuous", labels, a, b, labels_b, scores_b)

# 2. Heavy ties: a 5-point reader scale against a coarse model probability.
n1 <- 30; n0 <- 25
labels <- c(rep(1, n1), rep(0, n0))
reader <- c(sample(1:5, n1, TRUE, prob = c(.1, .1, .2, .3, .3)), sample(1:5, n0, TRUE, prob = c(.3, .3, .2, .1, .1)))
model <- round(pmin(pmax(reader / 5 + rnorm(n1 + n0, 0, 0.2), 0), 1), 1)
labels_b <- c(rep(1, 20), rep(0, 20))
scores_b <- c(sample(1:5, 20, TRUE, prob = c(.2, .2, .2, .2, .2)), sample(1:5, 20, TRUE, prob = c(.4, .3, .1, .1, .1)))
write_set("ties", labels, reader, model, labels_b, scores_b)

# 3. Small sample with ties: 4 positives, 5 negatives.
labels <- c(1, 1, 1, 1, 0, 0, 0, 0, 0)
s1 <- c(0.9, 0.8, 0.6, 0.4, 0.6, 0.3, 0.2, 0.4, 0.1)
s2 <- c(0.7, 0.9, 0.3, 0.5, 0.6, 0.5, 0.1, 0.2, 0.3)
write_set("small", labels, s1, s2, c(1, 1, 1, 0, 0, 0), c(0.8, 0.3, 0.6, 0.5, 0.2, 0.1))

# 4. Near-perfect separation on few cases: the upper DeLong limit exceeds 1 before clamping.
labels <- c(1, 1, 1, 1, 1, 0, 0, 0, 0, 0)
s1 <- c(0.95, 0.9, 0.85, 0.8, 0.5, 0.55, 0.3, 0.2, 0.15, 0.1)
write_set("nearly_separated", labels, s1)

# 5. Model below chance (no flipping with direction "<").
labels <- c(1, 1, 1, 0, 0, 0, 0)
s1 <- c(0.2, 0.4, 0.3, 0.8, 0.5, 0.3, 0.9)
write_set("below_chance", labels, s1)

# The ROC band (ci.se: stratified bootstrap of the sensitivity at given specificities) and the
# precision-recall points (coords) of set 1's first model; the band's resamples are pROC's own,
# so Zoo's differs by Monte Carlo error only.
set.seed(7)
n1 <- 60; n0 <- 45
labels <- c(rep(1, n1), rep(0, n0))
scores <- round(plogis(c(rnorm(n1, 1), rnorm(n0, 0)) + rnorm(n1 + n0, 0, 0.5)), 4)
r <- roc_of(labels, scores)
specificities <- seq(0, 1, 0.1)
band <- ci.se(r, specificities = specificities, boot.n = 4000, boot.stratified = TRUE, conf.level = 0.95, progress = "none")
at <- coords(r, x = specificities, input = "specificity", ret = "sensitivity")$sensitivity
pr <- coords(r, "all", ret = c("precision", "recall"), transpose = FALSE)
pr <- pr[!is.na(pr$precision), ]
writeLines(paste0("{", paste(c(
  field("labels", num(labels)), field("scores", num(scores)), field("specificities", num(specificities)),
  field("sensitivity", num(at)), field("lower", num(band[, 1])), field("upper", num(band[, 3])),
  field("precision", num(pr$precision)), field("recall", num(pr$recall))), collapse = ",\n "), "}"),
  file.path(out, "band_pr.json"))

# NRI and IDI from Hmisc::improveProb (category-free NRI with its multinomial SE; IDI).
if (requireNamespace("Hmisc", quietly = TRUE)) {
  n <- 120
  y <- rbinom(n, 1, 0.4)
  x <- rnorm(n) + y
  old <- round(plogis(-0.5 + 0.6 * x + rnorm(n, 0, 0.7)), 3)
  new <- round(plogis(-0.5 + 1.0 * x + rnorm(n, 0, 0.4)), 3)
  ip <- Hmisc::improveProb(old, new, y)
  parts <- c(field("outcomes", num(y)), field("old", num(old)), field("new", num(new)),
             field("nri", sprintf("%.17g", ip$nri)), field("seNRI", sprintf("%.17g", ip$se.nri)),
             field("zNRI", sprintf("%.17g", ip$z.nri)), field("idi", sprintf("%.17g", ip$idi)),
             field("seIDI", sprintf("%.17g", ip$se.idi)), field("zIDI", sprintf("%.17g", ip$z.idi)))
  writeLines(paste0("{", paste(parts, collapse = ",\n "), "}"), file.path(out, "nri_idi_hmisc.json"))
} else {
  message("Hmisc not installed: no nri_idi_hmisc.json (apt-get install r-cran-hmisc)")
}

message("pROC ", packageVersion("pROC"), " fixtures written to ", out)
