# Sourced by the e2e scripts: builds the harness site (tests/e2e/harness with the test-hooks package from
# scripts/build-test-pkg.sh) in target/e2e-harness-site and sets $site to it.
bash scripts/build-test-pkg.sh
site=target/e2e-harness-site
rm -rf "$site" && mkdir -p "$site"
ln -s "$PWD/target/e2e-pkg" "$site/pkg"
cp tests/e2e/harness/*.html tests/e2e/harness/*.js "$site/"
