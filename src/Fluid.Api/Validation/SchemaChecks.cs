using System.Collections;
using Fluid.Api.Manifests;

namespace Fluid.Api.Validation;

/// <summary>The checks the CRD schema expresses (required fields, minimum items, integer ranges), applied to any object.</summary>
internal static class SchemaChecks
{
    public static void Check(object value, string? path, ProblemSink sink)
    {
        var type = value.GetType();
        if (value is string || !TypeModel.IsObject(type))
        {
            if (TypeModel.IsList(type, out _))
            {
                var index = 0;
                foreach (var item in (IEnumerable)value)
                {
                    Check(item, FieldPath.Index(path, index++), sink);
                }
            }
            else if (TypeModel.IsMap(type, out _))
            {
                foreach (var (key, item) in ((IEnumerable)value).Cast<object>().Select(Entry))
                {
                    Check(item, FieldPath.Key(path, key), sink);
                }
            }

            return;
        }

        foreach (var field in TypeModel.Of(type).Fields)
        {
            var fieldPath = FieldPath.Child(path, field.JsonName);
            var fieldValue = field.GetValue(value);
            if (fieldValue is null)
            {
                if (field.Required && !sink.WasReported(fieldPath))
                {
                    sink.Error(fieldPath, "is required");
                }

                continue;
            }

            if (field.MinLength is { } minItems && fieldValue is IEnumerable items and not string && items.Cast<object>().Count() < minItems && !sink.WasReported(fieldPath))
            {
                sink.Error(fieldPath, $"must have at least {minItems} item{(minItems == 1 ? string.Empty : "s")}");
            }

            if (fieldValue is int or long && field.Minimum is { } min && field.Maximum is { } max)
            {
                var number = Convert.ToInt64(fieldValue, System.Globalization.CultureInfo.InvariantCulture);
                if (number < min)
                {
                    sink.Error(fieldPath, $"must be at least {min} (got {number})");
                }
                else if (number > max)
                {
                    sink.Error(fieldPath, $"must be at most {max} (got {number})");
                }
            }

            Check(fieldValue, fieldPath, sink);
        }
    }

    private static (string Key, object Value) Entry(object pair)
    {
        var type = pair.GetType();
        return ((string)type.GetProperty("Key")!.GetValue(pair)!, type.GetProperty("Value")!.GetValue(pair)!);
    }
}
