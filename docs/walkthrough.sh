#!/usr/bin/env bash
# The README's walk-through, runnable: against a running Rapport, with an admin key.
#   RAPPORT_URL=http://localhost:3000 ADMIN_KEY=rk_... bash docs/walkthrough.sh
set -euo pipefail
API=${RAPPORT_URL:-http://localhost:3000}/v1
: "${ADMIN_KEY:?set ADMIN_KEY to the admin API key printed at first start}"
call() { # call KEY METHOD PATH [JSON] [extra curl args...]
  local key=$1 method=$2 path=$3 body=${4:-}
  shift 3; [ $# -gt 0 ] && shift
  curl -sS --fail-with-body -X "$method" "$API$path" -H "authorization: Bearer $key" \
    ${body:+-H 'content-type: application/json' --data "$body"} "$@"
}

# 1. A program on the certificate's rubric (loaded from rubrics/ at start).
call "$ADMIN_KEY" GET /rubrics/therapeutic-relationships/versions/latest | jq '{key, version, areas: [.definition.areas[].title]}'
PROGRAM=$(call "$ADMIN_KEY" POST /programs '{"name":"Therapeutic Relationships 2026","rubricKey":"therapeutic-relationships","rubricVersion":1}' | jq -r .id)
COHORT=$(call "$ADMIN_KEY" POST /cohorts "{\"programId\":\"$PROGRAM\",\"name\":\"Spring 2026\",\"startsOn\":\"2026-03-01\"}" | jq -r .id)
ORG=$(call "$ADMIN_KEY" POST /organizations '{"name":"Riverside Hospice"}' | jq -r .id)

# 2. A trainee and a supervisor, assigned to each other, each with an account and an API key.
TRAINEE=$(call "$ADMIN_KEY" POST /trainees "{\"organizationId\":\"$ORG\",\"cohortId\":\"$COHORT\",\"name\":\"Sarah Okafor\",\"email\":\"sarah@riverside.example\",\"discipline\":\"nursing\",\"externalHrId\":\"E-1042\"}" | jq -r .id)
SUPERVISOR=$(call "$ADMIN_KEY" POST /supervisors "{\"organizationId\":\"$ORG\",\"name\":\"Dana Reyes\",\"email\":\"dana@riverside.example\",\"externalHrId\":\"E-2077\"}" | jq -r .id)
call "$ADMIN_KEY" POST /assignments "{\"supervisorId\":\"$SUPERVISOR\",\"traineeId\":\"$TRAINEE\",\"startsOn\":\"2026-03-01\"}" | jq '{id, startsOn}'
SUP_ACCOUNT=$(call "$ADMIN_KEY" POST /accounts "{\"role\":\"supervisor\",\"name\":\"Dana Reyes\",\"supervisorId\":\"$SUPERVISOR\"}" | jq -r .id)
SUP_KEY=$(call "$ADMIN_KEY" POST "/accounts/$SUP_ACCOUNT/api-keys" '{"name":"Dana laptop"}' | jq -r .key)
TR_ACCOUNT=$(call "$ADMIN_KEY" POST /accounts "{\"role\":\"trainee\",\"name\":\"Sarah Okafor\",\"traineeId\":\"$TRAINEE\"}" | jq -r .id)
TR_KEY=$(call "$ADMIN_KEY" POST "/accounts/$TR_ACCOUNT/api-keys" '{"name":"Sarah phone"}' | jq -r .key)

# 3. The supervisor drafts an observation, saves scores (If-Match: the ETag last read), and submits.
OBS=$(call "$SUP_KEY" POST /observations "{\"traineeId\":\"$TRAINEE\",\"sessionDate\":\"2026-03-10\",\"durationMinutes\":40,\"setting\":\"Patient's room\",\"modality\":\"in_person\",\"contextNote\":\"Patient newly admitted, anxious about pain.\"}" | jq -r .id)
etag() { curl -sS -o /dev/null -D - "$API/observations/$OBS" -H "authorization: Bearer $1" | tr -d '\r' | awk 'tolower($1)=="etag:"{print $2}'; }
CRITERIA=$(call "$SUP_KEY" GET /rubrics/therapeutic-relationships/versions/latest | jq -c '[.definition.areas[].criteria[] | {criterionKey: .key, level: 3, evidence: "Seen throughout the session."}]')
call "$SUP_KEY" PATCH "/observations/$OBS" "{\"scores\":$CRITERIA,\"strengths\":\"Calm, unhurried presence.\",\"areasForGrowth\":\"Summarize before closing.\",\"actionPlan\":\"Practise a closing summary in the next two sessions.\"}" -H "if-match: $(etag "$SUP_KEY")" | jq '{status, revision, summary}'
call "$SUP_KEY" POST "/observations/$OBS/submit" '' -H "if-match: $(etag "$SUP_KEY")" | jq '{status, revision, submittedAt}'

# 4. The trainee reads and acknowledges it; the history keeps every revision.
call "$TR_KEY" POST "/observations/$OBS/acknowledge" '{"comment":"Thank you, I will work on summarizing."}' -H "if-match: $(etag "$TR_KEY")" | jq '{status, acknowledgedAt}'
call "$ADMIN_KEY" GET "/observations/$OBS/history" | jq '[.items[] | {revision, kind}]'

# 5. Reports: the trainee's feedback, the trainee's progress, the cohort as PDF and CSV.
call "$TR_KEY" GET "/observations/$OBS/report.pdf" '' -o feedback.pdf
call "$ADMIN_KEY" GET "/trainees/$TRAINEE/progress.pdf" '' -o progress.pdf
call "$ADMIN_KEY" GET "/cohorts/$COHORT/report.pdf" '' -o cohort.pdf
call "$ADMIN_KEY" GET "/cohorts/$COHORT/report.csv?inactiveDays=14" '' -o cohort.csv
file feedback.pdf progress.pdf cohort.pdf cohort.csv
