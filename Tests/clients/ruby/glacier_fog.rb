# Drives glacier-mock with fog (Fog::AWS::Glacier from Debian's ruby-fog-aws): its own SigV4
# signer, tree hash (Fog::AWS::Glacier::TreeHash), multipart helper (Archive#save with
# multipart_chunk_size), Excon as HTTP client. Prints what fog saw as JSON lines, one per step
# (facts, not verdicts: Tests/conformance/test_ruby_fog.py decides). Runs under Debian's ruby:
#
#     ruby Tests/clients/ruby/glacier_fog.rb PORT VAULT DATAFILE
#
# Every request fog makes goes through the recorder below (fog's :instrumentor hook), so each
# step also prints the requests it made: method, path, query, the Glacier headers fog sent and
# the status and Glacier headers the server answered.

require 'digest'
require 'json'
require 'net/http'
require 'fog/aws'

MIB = 1024 * 1024
TOPIC = 'arn:aws:sns:us-east-1:123456789012:fog-topic'
EVENTS = %w[ArchiveRetrievalCompleted InventoryRetrievalCompleted].freeze
SENT = %w[Content-Length Content-Range Range x-amz-sha256-tree-hash x-amz-content-sha256
          x-amz-archive-size x-amz-part-size x-amz-archive-description].freeze
RECEIVED = %w[Location x-amz-archive-id x-amz-sha256-tree-hash x-amz-multipart-upload-id x-amz-job-id
              Content-Range Content-Type Content-Length Accept-Ranges x-amz-archive-description
              x-amzn-RequestId].freeze

def emit(step, fields = {})
  $stdout.puts(JSON.generate({ 'step' => step }.merge(fields)))
  $stdout.flush
end

def iso(t)
  t && t.utc.strftime('%Y-%m-%dT%H:%M:%S.%LZ')
end

def sha256(bytes)
  Digest::SHA256.hexdigest(bytes)
end

# fog calls instrumentor.instrument("fog.aws.glacier.request", params) { the request } when given
# an :instrumentor (fog/aws/glacier.rb, Real#request): params are what fog signed and sends.
class Recorder
  def initialize
    @log = []
  end

  def instrument(_name, params)
    entry = { 'method' => params[:method].to_s.upcase, 'path' => params[:path],
              'query' => (params[:query] || {}).map { |k, v| [k.to_s, v.to_s] }.to_h,
              'sent' => SENT.each_with_object({}) { |h, o| o[h] = params[:headers][h] if params[:headers].key?(h) } }
    begin
      response = yield
    rescue Excon::Error::HTTPStatus => e
      record(entry, e.response)
      raise
    end
    record(entry, response)
    response
  end

  def take
    out = @log
    @log = []
    out
  end

  private

  def record(entry, response)
    entry['status'] = response.status
    entry['received'] = RECEIVED.each_with_object({}) { |h, o| o[h] = response.headers[h] if response.headers[h] }
    @log << entry
  end
end

def error_fields(e)
  body = e.response.body
  parsed = (JSON.parse(body) rescue nil)
  { 'class' => e.class.name, 'status' => e.response.status, 'code' => parsed && parsed['code'],
    'message' => parsed && parsed['message'], 'type' => parsed && parsed['type'],
    'content_type' => e.response.headers['Content-Type'],
    'request_id' => e.response.headers['x-amzn-RequestId'] }
end

def job_fields(job)
  { 'job_id' => job.id, 'action' => job.action, 'status_code' => job.status_code,
    'status_message' => job.status_message, 'completed' => job.completed, 'archive_id' => job.archive_id,
    'archive_size' => job.archive_size, 'tree_hash' => job.tree_hash, 'description' => job.description,
    'vault_arn' => job.vault_arn, 'sns_topic' => job.sns_topic, 'created_at' => iso(job.created_at),
    'completed_at' => iso(job.completed_at) }
end

def vault_fields(v)
  { 'name' => v.id, 'arn' => v.arn, 'number_of_archives' => v.number_of_archives,
    'size_in_bytes' => v.size_in_bytes, 'created_at' => iso(v.created_at),
    'last_inventory_at' => iso(v.last_inventory_at) }
end

# glacier-mock's POST /_mock/inventory: the vault inventory Glacier takes about once a day,
# taken now. DescribeVault and inventory jobs read the vault's last inventory, as on AWS.
def take_inventory(port, vault_name)
  res = Net::HTTP.post(URI("http://127.0.0.1:#{port}/_mock/inventory"), JSON.generate('VaultName' => vault_name),
                       'Content-Type' => 'application/json')
  raise "POST /_mock/inventory answered #{res.code}: #{res.body}" unless res.code == '200'
end

def connect(port, recorder, secret: 'test')
  # Excon retries an idempotent request 4 times on any unexpected status (its default
  # retry_errors include Excon::Error::HTTPStatus); one attempt, so each answer is the first.
  Fog::AWS::Glacier.new(aws_access_key_id: 'test', aws_secret_access_key: secret, region: 'us-east-1',
                        host: '127.0.0.1', port: port, scheme: 'http', instrumentor: recorder,
                        connection_options: { retry_limit: 1 })
end

def wait_job(job)
  seen = [job.status_code]
  ok = job.wait_for(60, 0.2) do
    seen << status_code
    ready?
  end
  [ok, seen.chunk_while { |a, b| a == b }.map(&:first)]
end

def main
  port = Integer(ARGV[0])
  vault_name = ARGV[1]
  path = ARGV[2]
  data = File.binread(path)
  rec = Recorder.new
  glacier = connect(port, rec)
  emit('start', 'fog_aws_version' => Fog::AWS::VERSION, 'fog_core_version' => Fog::Core::VERSION,
                'excon_version' => Excon::VERSION, 'ruby_version' => RUBY_VERSION, 'size' => data.bytesize)

  r = glacier.create_vault(vault_name)
  emit('create_vault', 'status' => r.status, 'location' => r.headers['Location'], 'requests' => rec.take)
  vault = glacier.vaults.get(vault_name)
  emit('get_vault', vault_fields(vault).merge('requests' => rec.take))

  # fog's Vaults#all reads the first page only; follow the markers with the request itself.
  pages = []
  marker = nil
  loop do
    query = marker ? { 'marker' => marker } : {}
    body = glacier.list_vaults(query).body
    pages << body['VaultList'].map { |v| v['VaultName'] }
    marker = body['Marker']
    break unless marker
  end
  first_page = glacier.vaults.all.map(&:id)
  names = pages.flatten
  rec.take
  emit('list_vaults', 'pages' => pages.length, 'page_sizes' => pages.map(&:length), 'count' => names.length,
                      'distinct' => names.uniq.length, 'sorted' => names == names.sort,
                      'contains_vault' => names.include?(vault_name), 'model_all' => first_page)

  emit('local_hashes', 'tree' => Fog::AWS::Glacier::TreeHash.digest(data), 'linear' => sha256(data))

  single = vault.archives.create(body: data, description: 'fog single')
  emit('upload_archive', 'archive_id' => single.id, 'requests' => rec.take)

  multis = [MIB, 2 * MIB].map do |chunk|
    archive = File.open(path, 'rb') do |io|
      vault.archives.create(body: io, multipart_chunk_size: chunk, description: "fog multipart #{chunk / MIB}")
    end
    emit('multipart_upload', 'chunk_size' => chunk, 'archive_id' => archive.id, 'requests' => rec.take)
    archive
  end

  uploads = glacier.list_multipart_uploads(vault_name).body
  emit('list_multipart_uploads', 'uploads' => uploads['UploadsList'], 'marker' => uploads['Marker'],
                                 'requests' => rec.take)

  # A part whose tree hash is wrong: fog's upload_part takes the hash as given.
  upload_id = glacier.initiate_multipart_upload(vault_name, MIB, 'description' => 'fog bad part')
                     .headers['x-amz-multipart-upload-id']
  error = nil
  begin
    glacier.upload_part(vault_name, upload_id, data.byteslice(0, MIB), 0, '0' * 64)
  rescue Excon::Error::HTTPStatus => e
    error = error_fields(e)
  end
  parts = glacier.list_parts(vault_name, upload_id).body
  aborted = glacier.abort_multipart_upload(vault_name, upload_id).status
  gone = nil
  begin
    glacier.list_parts(vault_name, upload_id)
  rescue Excon::Error::HTTPStatus => e
    gone = error_fields(e)
  end
  emit('bad_part', 'upload_id' => upload_id, 'error' => error, 'parts' => parts['Parts'],
                   'part_size' => parts['PartSizeInBytes'], 'description' => parts['ArchiveDescription'],
                   'abort_status' => aborted, 'after_abort' => gone, 'requests' => rec.take)

  take_inventory(port, vault_name)   # a day passes: the uploads are in the vault's inventory
  emit('describe_vault', vault_fields(glacier.vaults.get(vault_name)).merge('requests' => rec.take))

  r = vault.set_notification_configuration(TOPIC, EVENTS)
  got = glacier.get_vault_notification_configuration(vault_name)
  emit('notifications', 'set_status' => r.status, 'get_status' => got.status, 'config' => got.body,
                        'requests' => rec.take)

  job = vault.jobs.create(type: 'archive-retrieval', archive_id: multis[0].id, description: 'fog retrieval')
  emit('initiate_job', job_fields(job).merge('requests' => rec.take))
  ok, seen = wait_job(job)
  rec.take
  emit('wait_job', job_fields(job).merge('ok' => !!ok, 'statuses_seen' => seen))

  out = job.get_output
  emit('get_output', 'status' => out.status, 'length' => out.body.bytesize, 'sha256' => sha256(out.body),
                     'tree_hash' => Fog::AWS::Glacier::TreeHash.digest(out.body), 'requests' => rec.take)
  out = job.get_output(range: MIB..(2 * MIB - 1))
  emit('get_output_range', 'status' => out.status, 'length' => out.body.bytesize, 'sha256' => sha256(out.body),
                           'requests' => rec.take)
  out = job.get_output(range: 1000..(MIB + 4999))   # not tree-hash aligned
  emit('get_output_unaligned', 'status' => out.status, 'length' => out.body.bytesize,
                               'sha256' => sha256(out.body), 'requests' => rec.take)
  target = "#{path}.fog-download"
  File.open(target, 'wb') { |f| out = job.get_output(io: f) }   # streamed through Excon's response_block
  got = File.binread(target)
  emit('get_output_io', 'status' => out.status, 'body_left' => out.body.bytesize, 'length' => got.bytesize,
                        'sha256' => sha256(got), 'requests' => rec.take)

  all = vault.jobs.all
  # two filters in an order that is not sorted: fog signs them sorted, Excon sends them as given
  filtered = vault.jobs('statuscode' => 'Succeeded', 'completed' => 'true').all
  emit('list_jobs', 'ids' => all.map(&:id), 'filtered_ids' => filtered.map(&:id), 'requests' => rec.take)

  found = vault.jobs.get(job.id)
  emit('get_job', job_fields(found).merge('requests' => rec.take))

  single.destroy
  emit('delete_archive', 'archive_id' => single.id, 'requests' => rec.take)

  take_inventory(port, vault_name)   # a day passes: the deletion is in the vault's inventory
  inv = vault.jobs.create(type: 'inventory-retrieval', format: 'JSON', description: 'fog inventory')
  ok, seen = wait_job(inv)
  out = inv.get_output   # fog decodes an application/json body into a Hash
  body = out.body
  emit('inventory', 'job_id' => inv.id, 'action' => inv.action, 'status_code' => inv.status_code,
                    'ok' => !!ok, 'statuses_seen' => seen, 'status' => out.status,
                    'content_type' => out.headers['Content-Type'], 'decoded' => body.is_a?(Hash),
                    'vault_arn' => body.is_a?(Hash) ? body['VaultARN'] : nil,
                    'archives' => body.is_a?(Hash) ? body['ArchiveList'] : body, 'requests' => rec.take)

  r = vault.delete_notification_configuration
  missing_config = nil
  begin
    glacier.get_vault_notification_configuration(vault_name)
  rescue Excon::Error::HTTPStatus => e
    missing_config = error_fields(e)
  end
  emit('delete_notifications', 'status' => r.status, 'get_after' => missing_config, 'requests' => rec.take)

  error = nil
  begin
    vault.destroy
  rescue Excon::Error::HTTPStatus => e
    error = error_fields(e)
  end
  emit('delete_nonempty_vault', 'error' => error, 'requests' => rec.take)

  missing = "#{vault_name}-missing"
  error = nil
  begin
    glacier.describe_vault(missing)
  rescue Excon::Error::HTTPStatus => e
    error = error_fields(e)
  end
  model = glacier.vaults.get(missing)   # Vaults#get rescues Excon::Errors::NotFound
  emit('describe_missing_vault', 'vault' => missing, 'error' => error, 'model_get_nil' => model.nil?,
                                 'requests' => rec.take)

  wrong = connect(port, rec, secret: 'wrong-secret')
  result = { 'error' => nil }
  begin
    result['status'] = wrong.describe_vault(vault_name).status
  rescue Excon::Error::HTTPStatus => e
    result['error'] = error_fields(e)
  end
  emit('describe_vault_wrong_secret', result.merge('requests' => rec.take))
  emit('done')
end

begin
  main
rescue Exception => e # rubocop:disable Lint/RescueException
  emit('fatal', 'error' => "#{e.class}: #{e.message}", 'backtrace' => e.backtrace.first(15))
  exit 1
end
