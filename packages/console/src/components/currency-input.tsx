/** A labelled currency code input: upper-cased as typed; left empty, it reads USD. */
export function CurrencyInput({
  value,
  onChange,
}: {
  value: string;
  onChange: (currency: string) => void;
}) {
  return (
    <label>
      Currency
      <input
        value={value}
        size={4}
        maxLength={3}
        onChange={(event) => onChange(event.currentTarget.value.trim().toUpperCase() || 'USD')}
      />
    </label>
  );
}
