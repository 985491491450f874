"""GraphQL documents shaped as real clients of the hosted platform send them, verbatim: the
hosted-client tests send them to the in-process server, the strict-auth tests to a
``--strict-api`` platform."""

CREATE_INLINE = """
mutation {
  createPipelineJobWithAlerting(input: {
    jobName: "scanner-batch-1"
    pipelineYamlPath: "example-batch-job/run.sh"
    pipelineType: "BASH"
    workingDir: "example-batch-job"
    timeout: 3600
    activeTimeout: 3600
    maxRetries: 0
    noGitInit: true
    notificationsEnabled: false
    notificationTargetIds: ["target-1"]
    podSpec: "{\\"nodeSelector\\": {\\"pool\\": \\"cpu\\"}}"
    hyperplaneVCServer: {connect: {name: "github-main"}}
    parameters: {create: [{key: "FILE_ID", value: "42"}]}
  }) {
    id jobName pipelineType workingDir schedule status noGitInit notificationsEnabled
    podSpec hyperplaneVCServerId billingProjectId noHyperplaneCommands runParallel gitServerName
    notificationTargets { notificationTarget { email } }
    parameters { key value }
  }
}
"""

CREATE_WITH_VARIABLES = """
mutation CreateJob(
  $jobName: String, $yamlPath: String!, $workingDir: String, $branch: String,
  $commit: String, $email: String, $group: String, $imageHash: String,
  $vcServerId: String, $billingProjectId: String, $serviceAccountId: String,
  $secret: HyperplaneSecretWhereUniqueInput!, $user: HyperplaneUserWhereUniqueInput,
  $parameters: ParameterCreateNestedManyWithoutPipelineJobInput
) {
  createPipelineJobWithAlerting(input: {
    jobName: $jobName
    pipelineYamlPath: $yamlPath
    pipelineType: "YAML"
    workingDir: $workingDir
    branchName: $branch
    commitId: $commit
    hyperplaneUserEmail: $email
    group: $group
    imageHash: $imageHash
    timezone: "UTC"
    hyperplaneVCServer: {connect: {id: $vcServerId}}
    billingProject: {connect: {id: $billingProjectId}}
    hyperplaneServiceAccount: {connect: {id: $serviceAccountId}}
    hyperplaneSecrets: {connect: [$secret]}
    hyperplaneUser: {connect: $user}
    parameters: $parameters
  }) {
    id jobName workingDir pipelineType imageHash branchNameOrCommit hyperplaneUserEmail
    displayedOwner group hyperplaneServiceAccountId hyperplaneVCServerId billingProjectId
    hyperplaneUserId timezone schedule grafanaLink userServiceSubdomain dashboardPrefix
    noVSRewrite minReplicas maxHpaRange sshCommand
  }
}
"""

COUNT_JOBS = """
query countJobs($whereOveride: PipelineJobWhereInput) {
  countJobs(whereOveride: $whereOveride)
}
"""

COUNT_JOBS_INLINE = """
query {
  scanners: countJobs(whereOveride: {jobName: {startsWith: "SCANNER", mode: insensitive}})
  oneOff: countJobs(whereOveride: {schedule: {equals: "immediate"}})
  all: countJobs
}
"""

JOBS_BY_NAME = """
query jobsByName($name: String!) {
  pipelineJobs(
    where: {jobName: {startsWith: $name, mode: insensitive}}
    orderBy: [{jobName: asc}]
  ) {
    jobName
    status
    schedule
  }
}
"""

USERS = """
query users($email: String!) {
  hyperplaneUsers(where: {email: {equals: $email}}) {
    id
    email
  }
}
"""

CREATE_VC_SERVER = """
mutation CreateServer($data: HyperplaneVCServerCreateInput!) {
  createHyperplaneVCServer(data: $data) { id name }
}
"""
