"""tf.train.Example's message classes, without importing TensorFlow.

The check parses every record; `tf.train.Example` would bring TensorFlow (~500 MiB and
seconds of start-up) into every process that checks, only for a protobuf class. These
classes are built by the protobuf runtime (the same upb parser TensorFlow's own class
uses) from the messages of tensorflow/core/example/{example,feature}.proto, field for
field and number for number, in a descriptor pool of their own (so they never clash
with TensorFlow's classes when both are loaded). They parse the same bytes into the
same values, and refuse the same malformed bytes with DecodeError.

  example = Example.FromString(serialized)
  example.features.feature['image/class/label'].int64_list.value
"""

from google.protobuf import descriptor_pb2
from google.protobuf import descriptor_pool
from google.protobuf import message_factory

_PACKAGE = 'tensorflow'
_FIELD = descriptor_pb2.FieldDescriptorProto


def _file_descriptor() -> descriptor_pb2.FileDescriptorProto:
  """Example, Features, Feature and the three value lists, as in TensorFlow's protos."""
  proto = descriptor_pb2.FileDescriptorProto(
      name='inception/check/example.proto', package=_PACKAGE, syntax='proto3')

  def message(name, *fields):
    descriptor = proto.message_type.add(name=name)
    for field_name, number, field_type, label, type_name in fields:
      field = descriptor.field.add(name=field_name, number=number, type=field_type,
                                   label=label)
      if type_name:
        field.type_name = '.%s.%s' % (_PACKAGE, type_name)
    return descriptor

  repeated, optional = _FIELD.LABEL_REPEATED, _FIELD.LABEL_OPTIONAL
  message('BytesList', ('value', 1, _FIELD.TYPE_BYTES, repeated, None))
  message('FloatList', ('value', 1, _FIELD.TYPE_FLOAT, repeated, None))  # packed
  message('Int64List', ('value', 1, _FIELD.TYPE_INT64, repeated, None))  # packed
  feature = message('Feature',
                    ('bytes_list', 1, _FIELD.TYPE_MESSAGE, optional, 'BytesList'),
                    ('float_list', 2, _FIELD.TYPE_MESSAGE, optional, 'FloatList'),
                    ('int64_list', 3, _FIELD.TYPE_MESSAGE, optional, 'Int64List'))
  feature.oneof_decl.add(name='kind')
  for field in feature.field:
    field.oneof_index = 0
  features = message('Features', ('feature', 1, _FIELD.TYPE_MESSAGE, repeated,
                                  'Features.FeatureEntry'))
  entry = features.nested_type.add(name='FeatureEntry')
  entry.options.map_entry = True
  entry.field.add(name='key', number=1, type=_FIELD.TYPE_STRING, label=optional)
  entry.field.add(name='value', number=2, type=_FIELD.TYPE_MESSAGE, label=optional,
                  type_name='.%s.Feature' % _PACKAGE)
  message('Example', ('features', 1, _FIELD.TYPE_MESSAGE, optional, 'Features'))
  return proto


def _message_classes():
  pool = descriptor_pool.DescriptorPool()
  pool.Add(_file_descriptor())
  return tuple(message_factory.GetMessageClass(
      pool.FindMessageTypeByName('%s.%s' % (_PACKAGE, name)))
               for name in ('Example', 'Features', 'Feature', 'BytesList', 'FloatList',
                            'Int64List'))


Example, Features, Feature, BytesList, FloatList, Int64List = _message_classes()
