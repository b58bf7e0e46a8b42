# Drives glacier-mock with the AWS SDK for Ruby v1 (AWS::Glacier from Debian's ruby-aws-sdk 1.67):
# its Version4 signer, Net::HTTP handler, resource layer (VaultCollection, Vault,
# ArchiveCollection#create with its own tree hash) and the client operations. Prints what the
# SDK saw as JSON lines, one per step (facts, not verdicts: Tests/conformance/
# test_ruby_aws_sdk_v1.py decides). Runs under Debian's ruby:
#
#     ruby Tests/clients/ruby/glacier_sdk_v1.rb PORT VAULT DATAFILE
#
# The SDK's HTTP handler is wrapped (the :http_handler option) so each step also prints the
# requests it made: method, path, query, the Glacier headers sent and the status and Glacier
# headers answered. SDK v1 has no multipart helper for Glacier: the multipart upload below uses
# the client operations, with part hashes from ArchiveCollection's own checksum code.
# SDK v1 also sends header parameters as a JSON body (InitiateMultipartUpload,
# CompleteMultipartUpload, a ranged GetJobOutput's GET); the program leaves that as it is.

require 'digest'
require 'json'
require 'net/http'
require 'stringio'
require 'aws-sdk'

MIB = 1024 * 1024
PART_SIZE = 2 * MIB
TOPIC = 'arn:aws:sns:us-east-1:123456789012:sdk-v1-topic'
EVENTS = %w[ArchiveRetrievalCompleted InventoryRetrievalCompleted].freeze
SENT = %w[content-length content-range range x-amz-sha256-tree-hash x-amz-content-sha256
          x-amz-archive-size x-amz-part-size x-amz-archive-description].freeze
RECEIVED = %w[location x-amz-archive-id x-amz-sha256-tree-hash x-amz-multipart-upload-id x-amz-job-id
              content-range content-type content-length accept-ranges x-amz-archive-description
              x-amzn-requestid].freeze

def emit(step, fields = {})
  $stdout.puts(JSON.generate({ 'step' => step }.merge(fields)))
  $stdout.flush
end

def sha256(bytes)
  Digest::SHA256.hexdigest(bytes)
end

# Wraps the SDK's NetHttpHandler: records each request and its answer.
class Recorder
  def initialize(base)
    @base = base
    @log = []
  end

  def handle(request, response, &read_block)
    @base.handle(request, response, &read_block)
    headers = {}
    request.headers.each_pair { |k, v| headers[k.to_s.downcase] = v.to_s }
    @log << { 'method' => request.http_method, 'path' => request.path, 'query' => request.querystring,
              'sent' => SENT.each_with_object({}) { |h, o| o[h] = headers[h] if headers.key?(h) },
              'status' => response.status,
              'received' => RECEIVED.each_with_object({}) { |h, o| v = response.header(h); o[h] = v if v } }
  end

  def sleep_with_callback(seconds)
    Kernel.sleep(seconds)
    yield
  end

  def take
    out = @log
    @log = []
    out
  end
end

# glacier-mock's POST /_mock/inventory: the vault inventory Glacier takes about once a day,
# taken now. DescribeVault reads the vault's last inventory, as on AWS.
def take_inventory(port, vault_name)
  res = Net::HTTP.post(URI("http://127.0.0.1:#{port}/_mock/inventory"), JSON.generate('VaultName' => vault_name),
                       'Content-Type' => 'application/json')
  raise "POST /_mock/inventory answered #{res.code}: #{res.body}" unless res.code == '200'
end

def connect(port, recorder, secret: 'test')
  AWS::Glacier.new(access_key_id: 'test', secret_access_key: secret, region: 'us-east-1', use_ssl: false,
                   glacier_endpoint: '127.0.0.1', glacier_port: port, max_retries: 0,
                   http_handler: recorder)
end

def error_fields(e)
  { 'class' => e.class.name, 'code' => e.code, 'message' => e.message.split("\n").first,
    'status' => e.http_response.status, 'body' => (JSON.parse(e.http_response.body) rescue e.http_response.body),
    'request_id' => e.http_response.header('x-amzn-RequestId') }
end

def attempt
  { 'result' => yield, 'error' => nil }
rescue AWS::Errors::Base => e
  { 'result' => nil, 'error' => error_fields(e) }
end

def main
  port = Integer(ARGV[0])
  vault_name = ARGV[1]
  path = ARGV[2]
  data = File.binread(path)
  rec = Recorder.new(AWS::Core::Http::NetHttpHandler.new)
  glacier = connect(port, rec)
  client = glacier.client
  ids = { account_id: '-', vault_name: vault_name }
  emit('start', 'sdk_version' => AWS::VERSION, 'ruby_version' => RUBY_VERSION, 'size' => data.bytesize)

  vault = glacier.vaults.create(vault_name)
  emit('create_vault', 'name' => vault.name, 'requests' => rec.take)
  emit('vault', 'exists' => vault.exists?, 'arn' => vault.arn, 'number_of_archives' => vault.number_of_archives,
                'size_in_bytes' => vault.size_in_bytes, 'creation_date' => vault.creation_date,
                'last_inventory_date' => vault.last_inventory_date, 'requests' => rec.take)

  names = glacier.vaults.map(&:name)   # VaultCollection follows the markers
  emit('list_vaults', 'count' => names.length, 'distinct' => names.uniq.length, 'sorted' => names == names.sort,
                      'contains_vault' => names.include?(vault_name), 'requests' => rec.take)

  # ArchiveCollection's checksum code (protected: what #create sends)
  linear, tree = vault.archives.send(:compute_checksums, StringIO.new(data))
  emit('local_hashes', 'linear' => linear, 'tree' => tree)

  single = File.open(path, 'rb') { |io| vault.archives.create(io, description: 'sdk-v1 single') }
  emit('upload_archive', 'archive_id' => single.id, 'requests' => rec.take)

  r = attempt do
    client.upload_archive(ids.merge(body: StringIO.new(data.byteslice(0, 4096)), checksum: '0' * 64,
                                    content_sha256: sha256(data.byteslice(0, 4096))))
  end
  emit('upload_archive_wrong_checksum', 'error' => r['error'], 'requests' => rec.take)

  init = client.initiate_multipart_upload(ids.merge(part_size: PART_SIZE, archive_description: 'sdk-v1 multipart'))
  upload_id = init[:upload_id]
  emit('initiate_multipart_upload', 'upload_id' => upload_id, 'location' => init[:location], 'requests' => rec.take)
  offset = 0
  while offset < data.bytesize
    chunk = data.byteslice(offset, PART_SIZE)
    part_linear, part_tree = vault.archives.send(:compute_checksums, StringIO.new(chunk))
    resp = client.upload_multipart_part(ids.merge(upload_id: upload_id, body: StringIO.new(chunk),
                                                  range: "bytes #{offset}-#{offset + chunk.bytesize - 1}/*",
                                                  checksum: part_tree, content_sha256: part_linear))
    emit('upload_multipart_part', 'offset' => offset, 'checksum' => resp[:checksum], 'requests' => rec.take)
    offset += chunk.bytesize
  end
  parts = client.list_parts(ids.merge(upload_id: upload_id))
  emit('list_parts', 'data' => parts.data.reject { |k, _| k == :request_id }, 'requests' => rec.take)
  done = client.complete_multipart_upload(ids.merge(upload_id: upload_id, archive_size: data.bytesize,
                                                    checksum: tree))
  multi_id = done[:archive_id]
  emit('complete_multipart_upload', 'archive_id' => multi_id, 'checksum' => done[:checksum],
                                    'location' => done[:location], 'requests' => rec.take)
  uploads = client.list_multipart_uploads(ids)
  emit('list_multipart_uploads', 'uploads' => uploads[:uploads_list], 'marker' => uploads[:marker],
                                 'requests' => rec.take)

  take_inventory(port, vault_name)   # a day passes: the uploads are in the vault's inventory
  desc = client.describe_vault(ids)
  emit('describe_vault', 'data' => desc.data.reject { |k, _| k == :request_id }, 'requests' => rec.take)

  vault.configure_notifications(TOPIC, EVENTS)
  cfg = vault.notification_configuration
  emit('notifications', 'topic' => cfg && cfg.sns_topic.arn, 'events' => cfg && cfg.events, 'requests' => rec.take)

  job_id = client.initiate_job(ids.merge(job_parameters: { type: 'archive-retrieval', archive_id: multi_id,
                                                           description: 'sdk-v1 retrieval' }))[:job_id]
  seen = []
  job = nil
  deadline = Time.now + 60
  loop do
    job = client.describe_job(ids.merge(job_id: job_id)).data
    seen << job[:status_code] unless seen.last == job[:status_code]
    break if job[:completed] || Time.now > deadline

    sleep 0.2
  end
  rec.take
  emit('job', 'job_id' => job_id, 'statuses_seen' => seen, 'data' => job.reject { |k, _| k == :request_id })

  out = client.get_job_output(ids.merge(job_id: job_id))
  body = out[:body]
  emit('get_job_output', 'status' => out.http_response.status, 'length' => body.bytesize, 'sha256' => sha256(body),
                         'data' => out.data.reject { |k, _| %i[body request_id].include?(k) }, 'requests' => rec.take)
  [[MIB, 2 * MIB - 1], [1000, MIB + 4999]].each do |a, b|
    out = client.get_job_output(ids.merge(job_id: job_id, range: "bytes=#{a}-#{b}"))
    body = out[:body]
    emit('get_job_output_range', 'range' => [a, b], 'status' => out.http_response.status, 'length' => body.bytesize,
                                 'sha256' => sha256(body),
                                 'data' => out.data.reject { |k, _| %i[body request_id].include?(k) },
                                 'requests' => rec.take)
  end

  listed = client.list_jobs(ids.merge(completed: 'true'))
  emit('list_jobs', 'ids' => listed[:job_list].map { |j| j[:job_id] }, 'requests' => rec.take)
  # Two query parameters: SDK v1 puts them in its URI template's order (limit before completed)
  # and signs that order as it is, where SigV4 sorts the canonical query by name (the SDK's
  # Version4 signer uses request.querystring unsorted). A service that checks the signature must
  # refuse it; one that does not, answers.
  r = attempt { client.list_jobs(ids.merge(completed: 'true', limit: 10))[:job_list].map { |j| j[:job_id] } }
  emit('list_jobs_limit_completed', 'ids' => r['result'], 'error' => r['error'], 'requests' => rec.take)

  single.delete
  emit('delete_archive', 'archive_id' => single.id, 'requests' => rec.take)

  vault.notification_configuration = nil
  emit('delete_notifications', 'after' => vault.notification_configuration.nil?, 'requests' => rec.take)

  r = attempt { vault.delete }
  emit('delete_nonempty_vault', 'error' => r['error'], 'requests' => rec.take)

  missing = glacier.vaults["#{vault_name}-missing"]
  exists = missing.exists?
  r = attempt { client.describe_vault(account_id: '-', vault_name: missing.name) }
  emit('describe_missing_vault', 'vault' => missing.name, 'exists' => exists, 'error' => r['error'],
                                 'requests' => rec.take)

  wrong = connect(port, rec, secret: 'wrong-secret')
  r = attempt { wrong.client.describe_vault(ids).data[:vault_name] }
  emit('describe_vault_wrong_secret', 'vault_name' => r['result'], 'error' => r['error'], 'requests' => rec.take)
  emit('done')
end

begin
  main
rescue Exception => e # rubocop:disable Lint/RescueException
  emit('fatal', 'error' => "#{e.class}: #{e.message}", 'backtrace' => e.backtrace.first(15))
  exit 1
end
