# Reference numbers for ZooMetrics' logistic regression from R's glm(family = binomial):
# coefficients, standard errors, z, p and deviance, on data generated here with a fixed seed
# and written into the JSON with the results, so the Swift test fits exactly the cases glm saw.
#
#   Rscript Tests/Fixtures/glm_reference.R
#
# Writes $ZOO_FIXTURES/glm/clinical.json (default ~/.cache/zoo/fixtures).

root <- Sys.getenv("ZOO_FIXTURES", file.path(Sys.getenv("HOME"), ".cache/zoo/fixtures"))
out <- file.path(root, "glm")
dir.create(out, recursive = TRUE, showWarnings = FALSE)

set.seed(20261206)
n <- 150
age <- round(rnorm(n, 55, 12))
size <- round(rnorm(n, 20, 7), 1)
sex <- rbinom(n, 1, 0.45)
eta <- -9 + 0.08 * age + 0.15 * size + 0.6 * sex
y <- rbinom(n, 1, 1 / (1 + exp(-eta)))
fit <- glm(y ~ age + size + sex, family = binomial)
s <- summary(fit)$coefficients

num <- function(x) paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]")
json <- paste0("{\n",
  "  \"x\": [", paste(sprintf("[%.17g, %.17g, %d]", age, size, sex), collapse = ", "), "],\n",
  "  \"y\": [", paste(y, collapse = ", "), "],\n",
  "  \"coefficients\": ", num(s[, 1]), ",\n",
  "  \"standard_errors\": ", num(s[, 2]), ",\n",
  "  \"z\": ", num(s[, 3]), ",\n",
  "  \"p\": ", num(s[, 4]), ",\n",
  "  \"deviance\": ", sprintf("%.17g", deviance(fit)), ",\n",
  "  \"iterations\": ", fit$iter, "\n}\n")
writeLines(json, file.path(out, "clinical.json"))
