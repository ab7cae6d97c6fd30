#!/usr/bin/env bash
# The deployment job's summary (Markdown, for $GITHUB_STEP_SUMMARY): what was deployed, or
# which step stopped the deployment and whether production was swapped. Reads each step's
# outcome (success, failure, cancelled, skipped) from the OUTCOME_* variables, in job order,
# and the failed smoke tests from the JUnit report at SMOKE_REPORT, when there is one.
set -euo pipefail

environment="${ENVIRONMENT:?}"
version="${VERSION:?}"
running="${RUNNING_VERSION:-}"

#: Each step that can stop a deployment, in the order the job runs them: variable|label.
steps=(
  "OUTCOME_LOGIN|the Azure sign-in (OIDC federated credential)"
  "OUTCOME_RUNNING|reading the version production runs"
  "OUTCOME_VERSION|the release version check (it must be newer than production's)"
  "OUTCOME_BICEP_WHAT_IF|the Bicep what-if"
  "OUTCOME_BICEP|the Bicep deployment"
  "OUTCOME_TERRAFORM_INIT|terraform init (remote state)"
  "OUTCOME_TERRAFORM_PLAN|terraform plan"
  "OUTCOME_TERRAFORM|terraform apply"
  "OUTCOME_SETTLE_FIRST_START|settling the first start (the content share's Key Vault reference)"
  "OUTCOME_SLOT_VERSION|setting the release version on the staging slot"
  "OUTCOME_PACKAGE|packaging the app"
  "OUTCOME_DEPLOY_CODE|the code deployment to the staging slot (remote build; its pip lines are above)"
  "OUTCOME_SLOT_HEALTH|the staging slot's health check (/api/health)"
  "OUTCOME_SMOKE|the smoke test (tests/e2e against the staging slot)"
  "OUTCOME_SWAP|the swap of the staging slot into production"
  "OUTCOME_PRODUCTION_HEALTH|production's health check after the swap"
)

failed=""
for entry in "${steps[@]}"; do
  variable="${entry%%|*}"
  outcome="${!variable:-skipped}"
  if [[ "$outcome" == "failure" || "$outcome" == "cancelled" ]]; then
    failed="${entry#*|} ($outcome)"
    break
  fi
done

previous="${running:-no earlier release}"
if [[ -z "$failed" && "${OUTCOME_PRODUCTION_HEALTH:-skipped}" == "success" ]]; then
  echo "## Deployed $version to $environment"
  echo
  echo "The staging slot passed the smoke test and was swapped into production, which is"
  echo "healthy and runs orchestration version $version (before: $previous)."
  exit 0
fi

echo "## Deployment of $version to $environment stopped"
echo
if [[ -z "$failed" ]]; then
  failed="a step outside this list (see the job log)"
fi
echo "Stopped by: $failed."
echo
if [[ "${OUTCOME_SWAP:-skipped}" == "success" ]]; then
  echo "The swap happened: production runs $version but did not pass its health check."
  echo "The previous release ($previous) is in the staging slot; to put it back, swap again:"
  echo
  echo '```bash'
  echo "az functionapp deployment slot swap --resource-group ${RESOURCE_GROUP:-<group>} --name ${APP:-<app>} --slot staging --target-slot production"
  echo '```'
  echo
  echo "Instances that $version started stay in production's task hub: README.md, \"Deploying"
  echo "changes\", says what to do with instances of a version that is no longer deployed."
else
  echo "No swap happened: production still runs the previous release ($previous)."
fi

report="${SMOKE_REPORT:-}"
if [[ "${OUTCOME_SMOKE:-skipped}" == "failure" && -n "$report" && -s "$report" ]]; then
  echo
  echo "Failed smoke tests:"
  echo
  python3 - "$report" <<'PYTHON'
import sys
import xml.etree.ElementTree as ElementTree

cases = ElementTree.parse(sys.argv[1]).iter("testcase")
failed = [case for case in cases if case.find("failure") is not None or case.find("error") is not None]
for case in failed[:30]:
    problem = case.find("failure") if case.find("failure") is not None else case.find("error")
    message = (problem.get("message") or "").splitlines()[0][:200] if problem is not None else ""
    print(f"- `{case.get('classname')}::{case.get('name')}`: {message}")
if len(failed) > 30:
    print(f"- ... and {len(failed) - 30} more (see the job log)")
PYTHON
fi
